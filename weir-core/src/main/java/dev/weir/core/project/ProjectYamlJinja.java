package dev.weir.core.project;

import dev.weir.core.WeirException;
import dev.weir.core.util.Yaml;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Jinja in dbt_project.yml's resource configs ({@code models:}, {@code seeds:}, {@code snapshots:},
 * {@code data_tests:}, {@code sources:}, {@code analyses:}, ...), rendered when the project loads as
 * dbt does: {@code +schema: "{{ env_var('SCHEMA', 'analytics') }}"}, {@code +enabled: "{{ target.name == 'prod' }}"}.
 * Like dbt, hooks ({@code pre-hook}, {@code post-hook}) are left for run time, and the result is
 * native: a rendering that reads as a Python literal ({@code True}, {@code 3}, {@code ['a', 'b']})
 * becomes that value, so an {@code enabled} rendered from a comparison is a boolean.
 */
final class ProjectYamlJinja {
  private static final Set<String> LATE = Set.of("pre-hook", "post-hook", "pre_hook", "post_hook");

  private ProjectYamlJinja() {}

  /** Renders, in place, every Jinja string value of {@code tree} (the config section {@code section}). */
  static void render(Map<String, Object> tree, String section, Function<String, String> render) {
    walk(tree, section, render);
  }

  private static void walk(Map<String, Object> map, String path, Function<String, String> render) {
    for (Map.Entry<String, Object> e : map.entrySet()) {
      String key = e.getKey();
      if (LATE.contains(stripPlus(key))) continue;
      String here = path + "." + key;
      Object v = e.getValue();
      if (v instanceof String s && isJinja(s)) {
        e.setValue(renderOne(s, here, map instanceof Yaml.YMap y ? y.lineOf(key) : 0, render));
      } else if (v instanceof Map<?, ?> m) {
        @SuppressWarnings("unchecked") Map<String, Object> sub = (Map<String, Object>) m;
        walk(sub, here, render);
      } else if (v instanceof List<?> l) {
        @SuppressWarnings("unchecked") List<Object> list = (List<Object>) l;
        for (int i = 0; i < list.size(); i++) {
          if (list.get(i) instanceof String s && isJinja(s)) {
            list.set(i, renderOne(s, here + "[" + i + "]", l instanceof Yaml.YList y ? y.lineOf(i) : 0, render));
          }
        }
      }
    }
  }

  private static String stripPlus(String key) { return key.startsWith("+") ? key.substring(1).strip() : key; }

  static boolean isJinja(String s) { return s.contains("{{") || s.contains("{%"); }

  private static Object renderOne(String s, String keyPath, int line, Function<String, String> render) {
    String out;
    try {
      out = render.apply(s);
    } catch (WeirException e) {
      throw WeirException.project("dbt_project.yml", line, "cannot render " + keyPath + " (" + s + "): " + e.getMessage());
    }
    return nativeValue(out);
  }

  /** dbt's native rendering: a result that reads as a Python literal becomes that value; anything else stays text. */
  static Object nativeValue(String rendered) {
    String t = rendered.strip();
    switch (t) {
      case "True": return Boolean.TRUE;
      case "False": return Boolean.FALSE;
      case "None": return null;
      default: break;
    }
    if (t.matches("-?\\d{1,18}")) return Long.parseLong(t);
    if (t.matches("-?(\\d+\\.\\d*|\\.\\d+)([eE][-+]?\\d+)?")) return Double.parseDouble(t);
    if ((t.startsWith("[") && t.endsWith("]")) || (t.startsWith("{") && t.endsWith("}") && !t.startsWith("{{"))) {
      try {
        // A Python list or dict literal of plain values is also a YAML 1.1 flow collection (True/False included).
        Object v = new org.yaml.snakeyaml.Yaml().load(t.replaceAll("\\bNone\\b", "null"));
        if (v instanceof List<?> || v instanceof Map<?, ?>) return v;
      } catch (RuntimeException notALiteral) {
        return rendered;
      }
    }
    return rendered;
  }
}
