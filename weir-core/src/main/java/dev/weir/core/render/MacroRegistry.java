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
  /** Values are Macro, or a Lazy whose file is parsed on first use (Weir's built-ins). */
  private final Map<String, Map<String, Object>> byPackage = new LinkedHashMap<>();
  private final Map<String, MacroDef> defs = new LinkedHashMap<>();
  private final Map<String, JinjaObject> namespaces = new HashMap<>();

  public MacroRegistry(String rootPackage) { this.rootPackage = rootPackage; }

  public void add(String packageName, String name, Macro macro, MacroDef def) {
    byPackage.computeIfAbsent(packageName, k -> new LinkedHashMap<>()).put(name, macro);
    if (def != null) defs.put(def.uniqueId(), def);
  }

  /**
   * Registers a macro whose file is parsed only when one of its macros is first looked up: most
   * invocations call a handful of Weir's ~100 built-in macros, and parsing them all costs start-up.
   */
  public void addLazy(String packageName, String name, java.util.function.Supplier<Macro> macro, MacroDef def) {
    byPackage.computeIfAbsent(packageName, k -> new LinkedHashMap<>()).put(name, new Lazy(macro));
    if (def != null) defs.put(def.uniqueId(), def);
  }

  private static final class Lazy {
    private final java.util.function.Supplier<Macro> supplier;
    private volatile Macro macro;

    Lazy(java.util.function.Supplier<Macro> supplier) { this.supplier = supplier; }

    Macro get() {
      Macro m = macro;
      if (m == null) {
        synchronized (this) {
          if (macro == null) macro = supplier.get();
          m = macro;
        }
      }
      return m;
    }
  }

  /** Call once all macros are added. */
  public void freeze() {
    for (String pkg : byPackage.keySet()) namespaces.put(pkg, name -> find(pkg, name));
  }

  public String rootPackage() { return rootPackage; }

  public Map<String, MacroDef> defs() { return defs; }

  public Macro find(String packageName, String name) {
    Map<String, Object> p = byPackage.get(packageName);
    Object v = p == null ? null : p.get(name);
    return v instanceof Lazy l ? l.get() : (Macro) v;
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
