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

/**
 * The launcher's copy of picocli: every class file a Java 6 one with stack map frames (archivable by class-data
 * sharing), and picocli working from it.
 */
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
    assertEquals(entries(original), entries(copy), "the same entries; resources unchanged");

    // Class-data sharing archives every class of the copy (none of the original's Java 5 classes): a dump names each
    // class it skips, with why ("Pre JDK 6 class", "Failed over class verification" when frames are missing or wrong).
    assertTrue(skippedByCds(original).stream().anyMatch(l -> l.contains("Pre JDK 6 class")), "the original is not archivable");
    assertEquals(List.of(), skippedByCds(copy));

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

  /** The picocli classes a dynamic class-data-sharing dump skips when a JVM has loaded all of {@code jar}'s classes. */
  private List<String> skippedByCds(Path jar) throws Exception {
    // class-data sharing wants only jars on the class path: the loading class in a jar of its own
    Path loaderJar = dir.resolve("load-all.jar");
    if (!Files.exists(loaderJar)) {
      String entry = LoadAllClasses.class.getName().replace('.', '/') + ".class";
      try (InputStream in = LoadAllClasses.class.getClassLoader().getResourceAsStream(entry);
           java.util.zip.ZipOutputStream z = new java.util.zip.ZipOutputStream(Files.newOutputStream(loaderJar))) {
        z.putNextEntry(new ZipEntry(entry));
        z.write(in.readAllBytes());
        z.closeEntry();
      }
    }
    Path archive = Files.createTempFile(dir, "cds", ".jsa");
    Files.delete(archive);
    Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:ArchiveClassesAtExit=" + archive, "-Xlog:cds=warning", "-cp", loaderJar + java.io.File.pathSeparator + jar,
        LoadAllClasses.class.getName(), jar.toString())
        .redirectErrorStream(true).start();
    String output = new String(child.getInputStream().readAllBytes());
    assertEquals(0, child.waitFor(), output);
    assertTrue(output.contains("loaded "), output);
    return output.lines().filter(l -> l.contains(" picocli/") && (l.contains("Skipping") || l.contains("not supported"))).toList();
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
      for (ZipEntry e; (e = z.getNextEntry()) != null; ) {
        byte[] b = z.readAllBytes();
        out.add(e.getName().endsWith(".class") ? e.getName() : e.getName() + ":" + java.util.Arrays.hashCode(b));
      }
    }
    return out;
  }
}
