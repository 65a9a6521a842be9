package dev.weir.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launcher's copy of picocli: every class file archivable by class-data sharing, and picocli working from it. */
class ClassFileVersionsTest {
  @TempDir Path dir;

  @Test
  void picocliCopyHasNoPreJava6ClassFilesAndStillParsesACommandLine() throws Exception {
    Path original = Path.of(picocli.CommandLine.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    List<Integer> before = majors(original);
    assertTrue(before.stream().anyMatch(m -> m < ClassFileVersions.JAVA_6),
        "picocli ships Java 5 class files (else the launcher's copy is no longer needed): " + before.stream().distinct().toList());

    Path copy = dir.resolve("picocli.jar");
    int raised = ClassFileVersions.copy(original, copy);

    List<Integer> after = majors(copy);
    assertEquals(before.size(), after.size(), "every class file is copied");
    assertEquals(before.stream().filter(m -> m < ClassFileVersions.JAVA_6).count(), raised);
    assertTrue(after.stream().allMatch(m -> m >= ClassFileVersions.JAVA_6), "no class file below Java 6 left: " + after.stream().distinct().toList());
    assertEquals(entries(original), entries(copy), "the same entries (resources included)");

    // picocli loaded from the copy alone (not from the test's class path) parses a command line.
    try (URLClassLoader loader = new URLClassLoader(new URL[] {copy.toUri().toURL()}, ClassLoader.getPlatformClassLoader())) {
      Class<?> cl = loader.loadClass("picocli.CommandLine");
      assertEquals(loader, cl.getClassLoader());
      Class<?> spec = loader.loadClass("picocli.CommandLine$Model$CommandSpec");
      Object s = spec.getMethod("create").invoke(null);
      Class<?> optionSpec = loader.loadClass("picocli.CommandLine$Model$OptionSpec");
      Object builder = optionSpec.getMethod("builder", String.class, String[].class).invoke(null, "--project-dir", new String[0]);
      java.lang.reflect.Method type = builder.getClass().getMethod("type", Class.class);
      type.setAccessible(true); // declared by a package-private superclass
      type.invoke(builder, String.class);
      java.lang.reflect.Method build = builder.getClass().getMethod("build");
      build.setAccessible(true);
      Object option = build.invoke(builder);
      spec.getMethod("addOption", optionSpec).invoke(s, option);
      Object commandLine = cl.getConstructor(Object.class).newInstance(s);
      Object result = cl.getMethod("parseArgs", String[].class).invoke(commandLine, (Object) new String[] {"--project-dir", "shop"});
      Object matched = result.getClass().getMethod("matchedOptionValue", String.class, Object.class).invoke(result, "--project-dir", null);
      assertEquals("shop", matched);
    }
  }

  private static List<Integer> majors(Path jar) throws Exception {
    List<Integer> out = new ArrayList<>();
    try (InputStream is = Files.newInputStream(jar); ZipInputStream z = new ZipInputStream(is)) {
      for (ZipEntry e; (e = z.getNextEntry()) != null; ) {
        byte[] b = z.readAllBytes();
        if (e.getName().endsWith(".class") && ClassFileVersions.isClassFile(b)) out.add(ClassFileVersions.major(b));
      }
    }
    return out;
  }

  private static List<String> entries(Path jar) throws Exception {
    List<String> out = new ArrayList<>();
    try (InputStream is = Files.newInputStream(jar); ZipInputStream z = new ZipInputStream(is)) {
      for (ZipEntry e; (e = z.getNextEntry()) != null; ) out.add(e.getName() + ":" + z.readAllBytes().length);
    }
    return out;
  }
}
