package dev.weir.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * The launcher's helper for start-up: copies a jar with its pre-Java 6 class files (major version below 50) marked
 * as Java 6 class files, nothing else changed. Class-data sharing refuses to archive older class files ("Pre JDK 6
 * class not supported by CDS"), and with them every class that implements one of their interfaces: picocli is
 * compiled for Java 5, so without this every CLI start loads, links and verifies its ~170 classes from the jar
 * (~40 ms). Java 6 class files may hold the same bytecode (no stack map tables are required: the JVM verifies them by
 * type inference as it does Java 5 ones), so the copy behaves as the original. Usage: {@code in.jar out.jar}.
 */
public final class ClassFileVersions {
  private ClassFileVersions() {}

  /** The first class-file major version class-data sharing archives (Java 6). */
  static final int JAVA_6 = 50;

  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      System.err.println("usage: ClassFileVersions IN.jar OUT.jar");
      System.exit(2);
    }
    System.out.println(copy(Path.of(args[0]), Path.of(args[1])) + " class files marked Java 6");
  }

  /** Copies {@code in} to {@code out}, raising class files below Java 6 to it; returns how many it raised. */
  static int copy(Path in, Path out) throws IOException {
    int raised = 0;
    try (InputStream is = Files.newInputStream(in); ZipInputStream zin = new ZipInputStream(is);
         OutputStream os = Files.newOutputStream(out); ZipOutputStream zout = new ZipOutputStream(os)) {
      for (ZipEntry e; (e = zin.getNextEntry()) != null; ) {
        byte[] bytes = zin.readAllBytes();
        if (e.getName().endsWith(".class") && isClassFile(bytes) && major(bytes) < JAVA_6) {
          bytes[6] = 0;
          bytes[7] = (byte) JAVA_6;
          raised++;
        }
        ZipEntry copy = new ZipEntry(e.getName());
        if (e.getLastModifiedTime() != null) copy.setLastModifiedTime(e.getLastModifiedTime());
        zout.putNextEntry(copy);
        zout.write(bytes);
        zout.closeEntry();
      }
    }
    return raised;
  }

  static boolean isClassFile(byte[] b) {
    return b.length >= 8 && (b[0] & 0xff) == 0xCA && (b[1] & 0xff) == 0xFE && (b[2] & 0xff) == 0xBA && (b[3] & 0xff) == 0xBE;
  }

  static int major(byte[] b) {
    return ((b[6] & 0xff) << 8) | (b[7] & 0xff);
  }
}
