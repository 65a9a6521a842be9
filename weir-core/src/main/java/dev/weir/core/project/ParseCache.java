package dev.weir.core.project;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * What parsing learned from each SQL file, kept between invocations in
 * {@code target/weir_parse_cache.bin}: the ref() and source() calls and the in-file config() of a
 * file, keyed by the file's content hash. A cached file is neither parsed nor rendered while
 * loading (its template is parsed later, only if it is compiled).
 *
 * <p>The whole cache is valid only for one global key — Weir's version, dbt_project.yml, the
 * target, --vars and every macro file's content — and for the same values of the env vars that
 * parsing read. Anything else changed means a full parse. A damaged or foreign file is ignored.
 */
final class ParseCache {
  private static final int FORMAT = 1;

  record Entry(String checksum, List<Node.RefCall> refs, List<List<String>> sources, Map<String, Object> config) {}

  private final Map<String, Entry> entries = new ConcurrentHashMap<>(16384); // an entry per file: made large at once (see ProjectLoader)
  private final Map<String, Entry> loaded;
  /** The env vars the loaded entries were parsed with (their values matched): reused entries still depend on them. */
  private final java.util.Set<String> envNames = new java.util.TreeSet<>();

  private ParseCache(Map<String, Entry> loaded) { this.loaded = loaded; }

  java.util.Set<String> envNames() { return envNames; }

  static ParseCache empty() { return new ParseCache(Map.of()); }

  /** Reads the cache; returns an empty one when the file is missing, damaged or made for another key. */
  static ParseCache read(Path file, String globalKey, Function<String, String> env) {
    if (!Files.isRegularFile(file)) return empty();
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
      if (in.readInt() != FORMAT || !in.readUTF().equals(globalKey)) return empty();
      int envCount = in.readInt();
      List<String> names = new ArrayList<>(envCount);
      for (int i = 0; i < envCount; i++) {
        String name = in.readUTF();
        names.add(name);
        boolean present = in.readBoolean();
        String value = present ? in.readUTF() : null;
        String now = env.apply(name);
        if (!Objects.equals(value, now == null ? null : ProjectLoader.sha256(now))) return empty();
      }
      int n = in.readInt();
      Map<String, Entry> m = new HashMap<>(n * 2);
      for (int i = 0; i < n; i++) {
        String path = in.readUTF();
        String checksum = in.readUTF();
        int nr = in.readInt();
        List<Node.RefCall> refs = new ArrayList<>(nr);
        for (int r = 0; r < nr; r++) {
          String pkg = readNullable(in);
          String name = in.readUTF();
          Object version = readValue(in);
          refs.add(new Node.RefCall(pkg, name, version, 0));
        }
        int ns = in.readInt();
        List<List<String>> sources = new ArrayList<>(ns);
        for (int s = 0; s < ns; s++) sources.add(List.of(in.readUTF(), in.readUTF()));
        @SuppressWarnings("unchecked")
        Map<String, Object> config = (Map<String, Object>) readValue(in);
        m.put(path, new Entry(checksum, refs, sources, config));
      }
      ParseCache c = new ParseCache(m);
      c.envNames.addAll(names);
      return c;
    } catch (IOException | RuntimeException e) {
      return empty();
    }
  }

  /** The cached result for a file, if its content is unchanged. */
  Entry hit(String path, String checksum) {
    Entry e = loaded.get(path);
    return e != null && e.checksum().equals(checksum) ? e : null;
  }

  void put(String path, Entry e) { entries.put(path, e); }

  /** Writes the cache atomically; failures are ignored (the cache is an optimisation). */
  void write(Path file, String globalKey, Map<String, String> envUsed) {
    try {
      Files.createDirectories(file.getParent());
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16))) {
        out.writeInt(FORMAT);
        out.writeUTF(globalKey);
        out.writeInt(envUsed.size());
        for (Map.Entry<String, String> e : envUsed.entrySet()) {
          out.writeUTF(e.getKey());
          out.writeBoolean(e.getValue() != null);
          if (e.getValue() != null) out.writeUTF(ProjectLoader.sha256(e.getValue()));
        }
        out.writeInt(entries.size());
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
          Entry v = e.getValue();
          out.writeUTF(e.getKey());
          out.writeUTF(v.checksum());
          out.writeInt(v.refs().size());
          for (Node.RefCall r : v.refs()) {
            writeNullable(out, r.packageName());
            out.writeUTF(r.name());
            writeValue(out, r.version());
          }
          out.writeInt(v.sources().size());
          for (List<String> s : v.sources()) {
            out.writeUTF(s.get(0));
            out.writeUTF(s.get(1));
          }
          writeValue(out, v.config());
        }
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      // A cache that cannot be written only costs the next parse its speed.
    }
  }

  private static String readNullable(DataInputStream in) throws IOException {
    return in.readBoolean() ? in.readUTF() : null;
  }

  private static void writeNullable(DataOutputStream out, String s) throws IOException {
    out.writeBoolean(s != null);
    if (s != null) out.writeUTF(s);
  }

  /** Values of in-file config: null, String, Long, Double, Boolean, List, Map. Others are not cacheable. */
  private static void writeValue(DataOutputStream out, Object v) throws IOException {
    if (v == null) {
      out.writeByte(0);
    } else if (v instanceof String s) {
      out.writeByte(1);
      out.writeUTF(s);
    } else if (v instanceof Long || v instanceof Integer) {
      out.writeByte(2);
      out.writeLong(((Number) v).longValue());
    } else if (v instanceof Double d) {
      out.writeByte(3);
      out.writeDouble(d);
    } else if (v instanceof Boolean b) {
      out.writeByte(4);
      out.writeBoolean(b);
    } else if (v instanceof List<?> l) {
      out.writeByte(5);
      out.writeInt(l.size());
      for (Object o : l) writeValue(out, o);
    } else if (v instanceof Map<?, ?> m) {
      out.writeByte(6);
      out.writeInt(m.size());
      for (Map.Entry<?, ?> e : m.entrySet()) {
        out.writeUTF(String.valueOf(e.getKey()));
        writeValue(out, e.getValue());
      }
    } else {
      throw new IllegalArgumentException("not cacheable: " + v.getClass().getName());
    }
  }

  private static Object readValue(DataInputStream in) throws IOException {
    int tag = in.readByte();
    switch (tag) {
      case 0: return null;
      case 1: return in.readUTF();
      case 2: return in.readLong();
      case 3: return in.readDouble();
      case 4: return in.readBoolean();
      case 5: {
        int n = in.readInt();
        List<Object> l = new ArrayList<>(n);
        for (int i = 0; i < n; i++) l.add(readValue(in));
        return l;
      }
      case 6: {
        int n = in.readInt();
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) m.put(in.readUTF(), readValue(in));
        return m;
      }
      default: throw new IOException("bad tag " + tag);
    }
  }

  /** Whether every value can be written (a config holding a relation or a macro cannot). */
  static boolean cacheable(Object v) {
    if (v == null || v instanceof String || v instanceof Long || v instanceof Integer || v instanceof Double || v instanceof Boolean) return true;
    if (v instanceof List<?> l) {
      for (Object o : l) if (!cacheable(o)) return false;
      return true;
    }
    if (v instanceof Map<?, ?> m) {
      for (Object o : m.values()) if (!cacheable(o)) return false;
      return true;
    }
    return false;
  }
}
