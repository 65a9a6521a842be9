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
  private static final Pattern DISPATCH = Pattern.compile(
      "adapter\\s*\\.\\s*dispatch\\s*\\(\\s*(?:macro_name\\s*=\\s*)?['\"](\\w+)['\"]\\s*(?:,\\s*(?:macro_namespace\\s*=\\s*)?['\"](\\w+)['\"])?");
  private static final Pattern MACRO_BLOCK = Pattern.compile(
      "\\{%-?\\s*macro\\s+([A-Za-z_]\\w*)\\s*\\(.*?\\{%-?\\s*endmacro\\s*-?%}", Pattern.DOTALL);

  private final Map<String, MacroDef> defs;
  private final String root;
  private final List<Map<String, Object>> dispatchConfig;
  /** Macro name → unique ids of macros named {@code <prefix>__<name>}, by the dispatched name. */
  private final Map<String, List<String>> implementations = new HashMap<>();
  /** Package → macro name → unique id: a call's candidates are looked up without building ids. */
  private final Map<String, Map<String, String>> byPackage = new HashMap<>();

  MacroDeps(Map<String, MacroDef> defs, String root, List<Map<String, Object>> dispatchConfig) {
    this.defs = defs;
    this.root = root;
    this.dispatchConfig = dispatchConfig;
    for (MacroDef d : defs.values()) {
      byPackage.computeIfAbsent(d.packageName(), k -> new HashMap<>()).put(d.name(), d.uniqueId());
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
    if (code == null || code.isEmpty()) return List.of();
    Set<String> out = new LinkedHashSet<>();
    // Calls happen only inside Jinja tags ({{ ... }} and {% ... %}); the SQL between them (most of a model)
    // is skipped without a regex, which keeps this linear and cheap on 10,000-model projects.
    int i = 0;
    int n = code.length();
    char[] cs = code.toCharArray(); // array reads: far cheaper than charAt before the JIT has optimized it
    while (true) {
      int open = code.indexOf('{', i);
      if (open < 0 || open + 1 >= n) break;
      char k = cs[open + 1];
      if (k != '{' && k != '%' && k != '#') {
        i = open + 1;
        continue;
      }
      int end = tagEnd(cs, open + 2, k == '{' ? '}' : k);
      if (k != '#') scanCalls(code, cs, open + 2, end, pkg, out);
      i = end;
    }
    if (code.contains("dispatch")) {
      Matcher d = DISPATCH.matcher(code);
      while (d.find()) {
        List<String> order = searchOrder(d.group(2), pkg);
        order.add(MacroRegistry.INTERNAL);
        for (String id : implementations.getOrDefault(d.group(1), List.of())) {
          if (order.contains(defs.get(id).packageName())) out.add(id);
        }
      }
    }
    out.remove(self);
    return new ArrayList<>(out);
  }

  /** Where the tag whose body starts at {@code from} ends ({@code close} then '}'), skipping quoted strings; the code's end if unclosed. */
  private static int tagEnd(char[] code, int from, char close) {
    int n = code.length;
    char quote = 0;
    for (int i = from; i < n; i++) {
      char c = code[i];
      if (quote != 0) {
        if (c == '\\') i++;
        else if (c == quote) quote = 0;
      } else if (c == '\'' || c == '"') {
        quote = c;
      } else if (c == close && i + 1 < n && code[i + 1] == '}') {
        return i + 2;
      }
    }
    return n;
  }

  /** Adds the macros called in {@code code[from, to)}: {@code name(} or {@code pkg.name(}, not preceded by a word character or a dot. */
  private void scanCalls(String source, char[] code, int from, int to, String pkg, Set<String> out) {
    int i = from;
    while (i < to) {
      char c = code[i];
      if (c == '\'' || c == '"') { // a string literal: no calls in it
        int j = i + 1;
        while (j < to && code[j] != c) j += code[j] == '\\' ? 2 : 1;
        i = j + 1;
        continue;
      }
      if (!isStart(c) || (i > from && (isPart(code[i - 1]) || code[i - 1] == '.'))) {
        i++;
        continue;
      }
      int e1 = i + 1;
      while (e1 < to && isPart(code[e1])) e1++;
      int s2 = -1;
      int j = e1;
      if (j + 1 < to && code[j] == '.' && isStart(code[j + 1])) {
        s2 = j + 1;
        int e2 = j + 2;
        while (e2 < to && isPart(code[e2])) e2++;
        j = e2;
      }
      int k = j;
      while (k < to && Character.isWhitespace(code[k])) k++;
      // names only for calls: most identifiers in tags are not followed by '('
      if (k < to && code[k] == '(') addCall(source.substring(i, e1), s2 < 0 ? null : source.substring(s2, j), pkg, out);
      i = j;
    }
  }

  private void addCall(String first, String second, String pkg, Set<String> out) {
    if (second != null) {
      String id = byPackage.getOrDefault(first, Map.of()).get(second);
      if (id != null) out.add(id);
      return;
    }
    for (String p : new String[] {pkg, root, MacroRegistry.INTERNAL}) {
      String id = p == null ? null : byPackage.getOrDefault(p, Map.of()).get(first);
      if (id != null) {
        out.add(id);
        return;
      }
    }
  }

  private static boolean isStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }

  private static boolean isPart(char c) { return isStart(c) || (c >= '0' && c <= '9'); }

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
