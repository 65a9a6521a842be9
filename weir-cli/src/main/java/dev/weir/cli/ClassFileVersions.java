package dev.weir.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Opcodes;

/**
 * The launcher's helper for start-up: copies a jar with its pre-Java 6 class files (major version below 50) made
 * Java 6 class files with stack map frames (computed by ASM), nothing else changed. Class-data sharing refuses to
 * archive older class files ("Pre JDK 6 class not supported by CDS"), and with them every class implementing one of
 * their interfaces; a Java 6 class file without frames is verified by the old type-inference verifier, and CDS
 * refuses those too ("Failed over class verification"). picocli is compiled for Java 5, so without this every CLI
 * start loads, links and verifies its ~170 classes from the jar. A class ASM cannot give frames (one using the old
 * {@code jsr} instruction) is only marked Java 6 (it then loads as before, unarchived). Usage: {@code in.jar out.jar}.
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
    System.out.println(copy(Path.of(args[0]), Path.of(args[1])) + " class files made Java 6");
  }

  /** Copies {@code in} to {@code out}, making class files below Java 6 Java 6 ones; returns how many it changed. */
  static int copy(Path in, Path out) throws IOException {
    int raised = 0;
    // ASM resolves common superclasses while it computes frames: from the jar itself, then the JDK's classes.
    try (URLClassLoader hierarchy = new URLClassLoader(new URL[] {in.toUri().toURL()}, ClassLoader.getPlatformClassLoader());
         InputStream is = Files.newInputStream(in); ZipInputStream zin = new ZipInputStream(is);
         OutputStream os = Files.newOutputStream(out); ZipOutputStream zout = new ZipOutputStream(os)) {
      for (ZipEntry e; (e = zin.getNextEntry()) != null; ) {
        byte[] bytes = zin.readAllBytes();
        if (e.getName().endsWith(".class") && isClassFile(bytes) && major(bytes) < JAVA_6) {
          bytes = java6(bytes, hierarchy);
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

  /** A Java 6 class file of the same class: with stack map frames when ASM can compute them, else only marked. */
  static byte[] java6(byte[] classFile, ClassLoader hierarchy) {
    try {
      ClassReader reader = new ClassReader(classFile);
      ClassWriter writer = new ClassWriter(ClassWriter.COMPUTE_FRAMES) {
        @Override
        protected ClassLoader getClassLoader() {
          return hierarchy;
        }
      };
      reader.accept(new ClassVisitor(Opcodes.ASM9, writer) {
        @Override
        public void visit(int version, int access, String name, String signature, String superName, String[] interfaces) {
          super.visit(Opcodes.V1_6, access, name, signature, superName, interfaces);
        }
      }, 0);
      return writer.toByteArray();
    } catch (RuntimeException | LinkageError e) {
      byte[] marked = classFile.clone();
      marked[6] = 0;
      marked[7] = (byte) JAVA_6;
      return marked;
    }
  }

  static boolean isClassFile(byte[] b) {
    return b.length >= 8 && (b[0] & 0xff) == 0xCA && (b[1] & 0xff) == 0xFE && (b[2] & 0xff) == 0xBA && (b[3] & 0xff) == 0xBE;
  }

  static int major(byte[] b) {
    return ((b[6] & 0xff) << 8) | (b[7] & 0xff);
  }
}
