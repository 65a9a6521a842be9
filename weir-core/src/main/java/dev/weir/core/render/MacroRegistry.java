package dev.weir.core.render;

import dev.weir.core.project.MacroDef;
import dev.weir.jinja.JinjaObject;
import dev.weir.jinja.Macro;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * All macros of a load, organised the way dbt resolves names. An unqualified name used in a node of
 * package P resolves to P's macro, else the root project's, else Weir's built-in ("dbt") one — so a
 * project macro overrides a built-in of the same name. {@code pkg.name} reaches a package's macro;
 * {@code dbt.name} always reaches the built-in.
 */
public final class MacroRegistry {
  public static final String INTERNAL = "dbt";

  private final String rootPackage;
  private final Map<String, Map<String, Macro>> byPackage = new LinkedHashMap<>();
  private final Map<String, MacroDef> defs = new LinkedHashMap<>();
  private final Map<String, JinjaObject> namespaces = new HashMap<>();

  public MacroRegistry(String rootPackage) { this.rootPackage = rootPackage; }

  public void add(String packageName, String name, Macro macro, MacroDef def) {
    byPackage.computeIfAbsent(packageName, k -> new LinkedHashMap<>()).put(name, macro);
    if (def != null) defs.put(def.uniqueId(), def);
  }

  /** Call once all macros are added. */
  public void freeze() {
    for (Map.Entry<String, Map<String, Macro>> e : byPackage.entrySet()) {
      Map<String, Macro> macros = e.getValue();
      namespaces.put(e.getKey(), macros::get);
    }
  }

  public String rootPackage() { return rootPackage; }

  public Map<String, MacroDef> defs() { return defs; }

  public Macro find(String packageName, String name) {
    Map<String, Macro> p = byPackage.get(packageName);
    return p == null ? null : p.get(name);
  }

  /** Resolves an unqualified macro name for a node of {@code packageName}. */
  public Object lookup(String packageName, String name) {
    if (packageName != null) {
      Macro m = find(packageName, name);
      if (m != null) return m;
    }
    Macro m = find(rootPackage, name);
    if (m != null) return m;
    m = find(INTERNAL, name);
    if (m != null) return m;
    return namespaces.get(name);
  }

  /**
   * dbt's dispatch: for each namespace in the search order, the first of
   * {@code <adapter>__name}, ..., {@code default__name}. Returns null when none exists.
   */
  public Macro dispatch(String name, List<String> searchOrder, List<String> adapterPrefixes) {
    for (String ns : searchOrder) {
      for (String prefix : adapterPrefixes) {
        Macro m = find(ns, prefix + "__" + name);
        if (m != null) return m;
      }
    }
    for (String prefix : adapterPrefixes) {
      Macro m = find(INTERNAL, prefix + "__" + name);
      if (m != null) return m;
    }
    return null;
  }

  public boolean hasPackage(String name) { return byPackage.containsKey(name); }
}
