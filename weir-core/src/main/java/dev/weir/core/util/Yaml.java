package dev.weir.core.util;

import dev.weir.core.WeirException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * YAML loading that keeps line numbers: mappings load as {@link YMap} and sequences as
 * {@link YList}, both of which know the line they start on and, for maps, the line of each key.
 * Scalars load with YAML 1.1 core types as SafeConstructor resolves them (dbt's PyYAML does the same).
 */
public final class Yaml {
  private Yaml() {}

  /** A mapping that remembers where it and each of its keys stand in the file. */
  public static final class YMap extends LinkedHashMap<String, Object> {
    public final String file;
    public final int line;
    private final Map<String, Integer> keyLines = new HashMap<>();

    public YMap(String file, int line) { this.file = file; this.line = line; }

    public int lineOf(String key) { return keyLines.getOrDefault(key, line); }

    void putWithLine(String key, Object value, int keyLine) {
      put(key, value);
      keyLines.put(key, keyLine);
    }
  }

  /** A sequence that remembers its line and the line of each element. */
  public static final class YList extends ArrayList<Object> {
    public final String file;
    public final int line;
    private final List<Integer> lines = new ArrayList<>();

    public YList(String file, int line) { this.file = file; this.line = line; }

    public int lineOf(int index) { return index < lines.size() ? lines.get(index) : line; }

    void addWithLine(Object v, int l) { add(v); lines.add(l); }
  }

  /** Loads a YAML file; an empty file loads as null. Errors name the file and line. */
  public static Object load(Path file, String displayName) {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw WeirException.project(displayName, 0, "Cannot read file: " + e.getMessage());
    }
    return parse(text, displayName);
  }

  public static Object parse(String text, String displayName) {
    LoaderOptions opts = new LoaderOptions();
    opts.setAllowDuplicateKeys(false);
    opts.setCodePointLimit(64 * 1024 * 1024);
    org.yaml.snakeyaml.Yaml y = new org.yaml.snakeyaml.Yaml(new SafeConstructor(opts));
    org.yaml.snakeyaml.nodes.Node root;
    try {
      root = y.compose(new java.io.StringReader(text));
    } catch (MarkedYAMLException e) {
      int line = e.getProblemMark() != null ? e.getProblemMark().getLine() + 1 : 0;
      String problem = e.getProblem() != null ? e.getProblem() : e.getMessage();
      String ctx = e.getContext() != null ? " (" + e.getContext() + ")" : "";
      throw WeirException.project(displayName, line, "Invalid YAML: " + problem + ctx);
    } catch (YAMLException e) {
      throw WeirException.project(displayName, 0, "Invalid YAML: " + e.getMessage());
    }
    if (root == null) return null;
    Converter c = new Converter(displayName, opts);
    return c.convert(root);
  }

  private static final class Converter extends SafeConstructor {
    private final String file;

    Converter(String file, LoaderOptions opts) {
      super(opts);
      this.file = file;
    }

    Object convert(org.yaml.snakeyaml.nodes.Node n) {
      int line = n.getStartMark() == null ? 0 : n.getStartMark().getLine() + 1;
      if (n instanceof MappingNode m) {
        flattenMapping(m);
        YMap map = new YMap(file, line);
        for (NodeTuple t : m.getValue()) {
          Object k = convert(t.getKeyNode());
          int kl = t.getKeyNode().getStartMark().getLine() + 1;
          map.putWithLine(k == null ? "null" : keyString(k), convert(t.getValueNode()), kl);
        }
        return map;
      }
      if (n instanceof SequenceNode s) {
        YList list = new YList(file, line);
        for (org.yaml.snakeyaml.nodes.Node item : s.getValue()) {
          list.addWithLine(convert(item), item.getStartMark().getLine() + 1);
        }
        return list;
      }
      ScalarNode sc = (ScalarNode) n;
      if (sc.getTag().equals(Tag.STR)) return sc.getValue();
      Object v = constructObject(sc);
      if (v instanceof Integer i) return i.longValue();
      if (v instanceof java.math.BigInteger bi && bi.bitLength() < 64) return bi.longValue();
      if (v instanceof java.util.Date d) return sc.getValue();
      return v;
    }

    private static String keyString(Object k) {
      if (k instanceof Boolean b) return b ? "true" : "false";
      return String.valueOf(k);
    }
  }
}
