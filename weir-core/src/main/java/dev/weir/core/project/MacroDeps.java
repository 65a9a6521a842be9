package dev.weir.core.project;

import dev.weir.core.render.MacroRegistry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code depends_on.macros}, found statically as dbt does: the macros a piece of code calls by
 * name ({@code name(...)}: the caller's package, the root project, the built-ins;
 * {@code pkg.name(...)}) and, for {@code adapter.dispatch('name', 'namespace')}, every
 * implementation ({@code <adapter>__name}, {@code default__name}) in the dispatch search order —
 * so that changing a dispatched implementation marks its callers {@code state:modified.macros}.
 */
final class MacroDeps {
  private static final Pattern CALL = Pattern.compile("(?<![\\w.])([A-Za-z_]\\w*)(?:\\.([A-Za-z_]\\w*))?\\s*\\(");
  private static final Pattern DISPATCH = Pattern.compile(
      "adapter\\s*\\.\\s*dispatch\\s*\\(\\s*(?:macro_name\\s*=\\s*)?['\"](\\w+)['\"]\\s*(?:,\\s*(?:macro_namespace\\s*=\\s*)?['\"](\\w+)['\"])?");
  private static final Pattern MACRO_BLOCK = Pattern.compile(
      "\\{%-?\\s*macro\\s+([A-Za-z_]\\w*)\\s*\\(.*?\\{%-?\\s*endmacro\\s*-?%}", Pattern.DOTALL);

  private final Map<String, MacroDef> defs;
  private final String root;
  private final List<Map<String, Object>> dispatchConfig;
  /** Macro name → unique ids of macros named {@code <prefix>__<name>}, by the dispatched name. */
  private final Map<String, List<String>> implementations = new HashMap<>();

  MacroDeps(Map<String, MacroDef> defs, String root, List<Map<String, Object>> dispatchConfig) {
    this.defs = defs;
    this.root = root;
    this.dispatchConfig = dispatchConfig;
    for (MacroDef d : defs.values()) {
      int i = d.name().indexOf("__");
      if (i > 0 && i + 2 < d.name().length()) {
        implementations.computeIfAbsent(d.name().substring(i + 2), k -> new ArrayList<>()).add(d.uniqueId());
      }
    }
  }

  /** Each {@code {% macro name(...) %}...{% endmacro %}} of a file's source, by name (dbt's macro_sql). */
  static Map<String, String> macroSources(String src) {
    Map<String, String> out = new HashMap<>();
    Matcher m = MACRO_BLOCK.matcher(src);
    while (m.find()) out.putIfAbsent(m.group(1), m.group());
    return out;
  }

  /** The unique ids of the macros {@code code}, of package {@code pkg}, calls; {@code self} (a macro's own id) left out. */
  List<String> calls(String code, String pkg, String self) {
    Set<String> out = new LinkedHashSet<>();
    if (code == null || code.isEmpty()) return List.of();
    Matcher m = CALL.matcher(code);
    while (m.find()) {
      String first = m.group(1);
      String second = m.group(2);
      if (second != null) {
        if (defs.containsKey("macro." + first + "." + second)) out.add("macro." + first + "." + second);
        continue;
      }
      for (String p : new String[] {pkg, root, MacroRegistry.INTERNAL}) {
        if (p != null && defs.containsKey("macro." + p + "." + first)) {
          out.add("macro." + p + "." + first);
          break;
        }
      }
    }
    Matcher d = DISPATCH.matcher(code);
    while (d.find()) {
      List<String> order = searchOrder(d.group(2), pkg);
      order.add(MacroRegistry.INTERNAL);
      for (String id : implementations.getOrDefault(d.group(1), List.of())) {
        if (order.contains(defs.get(id).packageName())) out.add(id);
      }
    }
    out.remove(self);
    return new ArrayList<>(out);
  }

  private List<String> searchOrder(String namespace, String pkg) {
    List<String> order = new ArrayList<>();
    if (namespace == null) {
      if (pkg != null) order.add(pkg);
      order.add(root);
      return order;
    }
    for (Map<String, Object> c : dispatchConfig) {
      if (namespace.equals(String.valueOf(c.get("macro_namespace"))) && c.get("search_order") instanceof List<?> l) {
        for (Object o : l) order.add(String.valueOf(o));
        return order;
      }
    }
    order.add(root);
    order.add(namespace);
    return order;
  }
}
