package dev.weir.cli;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * Loads and initializes (so links and verifies) every class of a jar that is on the class path, with the application
 * class loader (the one class-data sharing archives for); prints how many. For ClassFileVersionsTest's child JVM.
 */
public final class LoadAllClasses {
  private LoadAllClasses() {}

  public static void main(String[] args) throws Exception {
    Path jar = Path.of(args[0]);
    int n = 0;
    ClassLoader loader = LoadAllClasses.class.getClassLoader();
    try (InputStream is = Files.newInputStream(jar); ZipInputStream z = new ZipInputStream(is)) {
      for (ZipEntry e; (e = z.getNextEntry()) != null; ) {
        String name = e.getName();
        if (!name.endsWith(".class") || name.endsWith("module-info.class")) continue;
        Class.forName(name.substring(0, name.length() - 6).replace('/', '.'), true, loader);
        n++;
      }
    }
    System.out.println("loaded " + n);
  }
}
