package dev.weir.core.project;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;
import java.util.Objects;
import java.util.function.Function;

/**
 * Knows whether {@code target/manifest.json} still describes the project: the state of every
 * project file (path, size, modification time, as git's index does), the invocation's inputs
 * (target, --vars) and the env vars parsing read, recorded when the manifest was written. When
 * none of that changed, {@code weir parse} has nothing to do.
 */
public final class UpToDate {
  private static final int FORMAT = 1;
  private static final String FILE = "weir_manifest_state.bin";

  private UpToDate() {}

  /**
   * Stats of the project's files: every file under the project except target/, logs/ and hidden folders
   * (symbolic links are stat'ed as links, not followed), by path relative to the root: {size, modification time,
   * 1 when a regular file}. Folders are listed in parallel: on a 10,000-model project this check is most of an
   * up-to-date {@code weir parse}. The map also knows the folders it skipped ({@link #listings}).
   */
  public static Map<String, long[]> snapshot(Path root, String targetPath) throws IOException {
    Snapshot out = new Snapshot();
    Path target = root.resolve(targetPath).normalize();
    try {
      ForkJoinPool.commonPool().invoke(new Lister(root, root, target, out));
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    return out;
  }

  /**
   * A snapshot's files by path relative to the root ({size, modification time, 1 when a regular file}), and the folders
   * it did not list (target/, logs/, hidden ones): a listing of the project's folders comes from it without walking them
   * again.
   */
  static final class Snapshot extends ConcurrentHashMap<String, long[]> {
    private static final long serialVersionUID = 1L;
    Snapshot() { super(16384); } // an entry per file: made large at once (see ProjectLoader)
    final transient java.util.Set<String> skipped = ConcurrentHashMap.newKeySet();
    /** Whether some path has a character outside ASCII (where a string's order and a path's may differ). */
    volatile boolean nonAscii;
  }

  /**
   * The regular files under each of {@code folders} (relative to {@code root}) as {@link ProjectLoader#walk} lists them
   * (sorted), taken from {@code snapshot} in one pass; a folder the snapshot cannot tell about is left out (when the map
   * is not one of {@link #snapshot}'s, a folder outside the project or not in normal form, or one holding a folder the
   * snapshot skipped).
   */
  static Map<String, List<Path>> listings(Map<String, long[]> snapshot, Path root, java.util.Collection<String> folders) {
    Map<String, List<Path>> out = new java.util.LinkedHashMap<>();
    if (!(snapshot instanceof Snapshot s) || java.io.File.separatorChar != '/') return out;
    List<String> prefixes = new ArrayList<>();
    List<List<String>> found = new ArrayList<>();
    for (String folder : folders) {
      if (listable(s, folder)) {
        prefixes.add(folder + "/");
        found.add(new ArrayList<>());
      }
    }
    if (prefixes.isEmpty()) return out;
    for (Map.Entry<String, long[]> e : s.entrySet()) {
      if (e.getValue()[2] != 1) continue;
      String key = e.getKey();
      for (int i = 0; i < prefixes.size(); i++) if (key.startsWith(prefixes.get(i))) found.get(i).add(key);
    }
    for (int i = 0; i < prefixes.size(); i++) {
      List<String> keys = found.get(i);
      List<Path> paths = new ArrayList<>(keys.size());
      if (!s.nonAscii) {
        // ASCII paths sort as their strings do (shorter strings, cheaper comparisons than whole paths)
        keys.sort(null);
        for (String k : keys) paths.add(root.resolve(k));
      } else {
        for (String k : keys) paths.add(root.resolve(k));
        paths.sort(null);
      }
      String prefix = prefixes.get(i);
      out.put(prefix.substring(0, prefix.length() - 1), paths);
    }
    return out;
  }

  private static boolean listable(Snapshot s, String folder) {
    if (folder.isEmpty() || folder.startsWith("/") || folder.endsWith("/") || folder.startsWith("~")) return false;
    for (String part : folder.split("/", -1)) {
      if (part.isEmpty() || part.equals(".") || part.equals("..")) return false;
    }
    String prefix = folder + "/";
    for (String dir : s.skipped) {
      // a skipped folder inside this one (or this one inside a skipped folder): walk instead
      if (dir.startsWith(prefix) || dir.equals(folder) || folder.startsWith(dir + "/")) return false;
    }
    return true;
  }

  /** {@code file}'s path relative to {@code root}, as {@code root.relativize(file)} gives it (cheaper, for a file under root). */
  static String relative(Path root, Path file) {
    String r = root.toString();
    String f = file.toString();
    int cut = r.isEmpty() ? 0 : r.endsWith(java.io.File.separator) ? r.length() : r.length() + 1;
    if (cut > 0 && f.length() > cut && f.startsWith(r) && (r.endsWith(java.io.File.separator) || f.startsWith(java.io.File.separator, r.length()))) {
      String rest = f.substring(cut);
      // relativize normalizes "." and ".." away: leave such paths to it
      if (!rest.contains("..") && !rest.startsWith("./") && !rest.contains("/./") && !r.contains("..") && !r.contains("./")) return rest;
    }
    return root.relativize(file).toString();
  }

  private static boolean ascii(String s) {
    for (int i = 0; i < s.length(); i++) if (s.charAt(i) >= 0x80) return false;
    return true;
  }

  /** Lists one folder: stats its files, forks its subfolders. */
  private static final class Lister extends RecursiveAction {
    private static final long serialVersionUID = 1L;
    private final transient Path root;
    private final transient Path dir;
    private final transient Path target;
    private final transient Snapshot out;

    Lister(Path root, Path dir, Path target, Snapshot out) {
      this.root = root;
      this.dir = dir;
      this.target = target;
      this.out = out;
    }

    @Override
    protected void compute() {
      List<Lister> subs = new ArrayList<>();
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
        for (Path p : ds) {
          BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
          if (a.isDirectory()) {
            String name = p.getFileName().toString();
            if (name.startsWith(".") || name.equals("logs") || p.normalize().equals(target)) {
              out.skipped.add(relative(root, p));
              continue;
            }
            subs.add(new Lister(root, p, target, out));
          } else {
            String rel = relative(root, p);
            if (!out.nonAscii && !ascii(rel)) out.nonAscii = true;
            out.put(rel, new long[] {a.size(), a.lastModifiedTime().toMillis(), a.isRegularFile() ? 1 : 0});
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      if (!subs.isEmpty()) invokeAll(subs);
    }
  }

  /**
   * Records the state after a manifest was written. {@code files} is the snapshot taken before
   * loading began, so that a file edited during the load counts as changed next time. Failures
   * are ignored: the check then says "not up to date".
   */
  public static void record(Path root, String targetPath, String inputs, Map<String, String> envUsed, Path manifest,
                            Map<String, long[]> files) {
    try {
      Path file = root.resolve(targetPath).resolve(FILE);
      Path tmp = file.resolveSibling(FILE + ".tmp");
      try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp)))) {
        out.writeInt(FORMAT);
        out.writeUTF(ProjectLoader.sha256(inputs));
        out.writeLong(Files.size(manifest));
        out.writeLong(Files.getLastModifiedTime(manifest).toMillis());
        out.writeInt(envUsed.size());
        for (Map.Entry<String, String> e : envUsed.entrySet()) {
          out.writeUTF(e.getKey());
          out.writeUTF(e.getValue() == null ? "" : ProjectLoader.sha256(e.getValue()));
        }
        out.writeInt(files.size());
        for (Map.Entry<String, long[]> e : files.entrySet()) {
          out.writeUTF(e.getKey());
          out.writeLong(e.getValue()[0]);
          out.writeLong(e.getValue()[1]);
        }
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      // Only speed is lost.
    }
  }

  /** Whether the manifest is current for these inputs, given the project's files as {@link #snapshot} found them. */
  public static boolean check(Path root, String targetPath, String inputs, Function<String, String> env, Path manifest,
                              Map<String, long[]> now) {
    Path file = root.resolve(targetPath).resolve(FILE);
    if (!Files.isRegularFile(file) || !Files.isRegularFile(manifest)) return false;
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
      if (in.readInt() != FORMAT || !in.readUTF().equals(ProjectLoader.sha256(inputs))) return false;
      if (in.readLong() != Files.size(manifest) || in.readLong() != Files.getLastModifiedTime(manifest).toMillis()) return false;
      int envCount = in.readInt();
      for (int i = 0; i < envCount; i++) {
        String name = in.readUTF();
        String hash = in.readUTF();
        String value = env.apply(name);
        if (!Objects.equals(hash, value == null ? "" : ProjectLoader.sha256(value))) return false;
      }
      return sameFiles(in, now);
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /**
   * Whether the project's files are as they were when the manifest was last recorded, whatever the inputs and env
   * vars (cheap: no hashing): when not, a parse reads them all.
   */
  public static boolean filesUnchanged(Path root, String targetPath, Map<String, long[]> now) {
    Path file = root.resolve(targetPath).resolve(FILE);
    if (!Files.isRegularFile(file)) return false;
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
      if (in.readInt() != FORMAT) return false;
      in.readUTF();
      in.readLong();
      in.readLong();
      int envCount = in.readInt();
      for (int i = 0; i < envCount; i++) {
        in.readUTF();
        in.readUTF();
      }
      return sameFiles(in, now);
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private static boolean sameFiles(DataInputStream in, Map<String, long[]> now) throws IOException {
    int n = in.readInt();
    if (now.size() != n) return false;
    for (int i = 0; i < n; i++) {
      long[] st = now.get(in.readUTF());
      long size = in.readLong();
      long mtime = in.readLong();
      if (st == null || st[0] != size || st[1] != mtime) return false;
    }
    return true;
  }
}
