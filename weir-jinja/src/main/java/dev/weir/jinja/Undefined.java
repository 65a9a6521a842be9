package dev.weir.jinja;

/** The undefined value. Behaviour depends on its {@link UndefinedPolicy}. */
public final class Undefined {
  private final String name;
  private final String hint;
  private final UndefinedPolicy policy;

  Undefined(String name, String hint, UndefinedPolicy policy) {
    this.name = name;
    this.hint = hint;
    this.policy = policy;
  }

  /** An undefined named {@code name} with the DEFAULT policy (the environment's policy is applied when it reaches the engine). */
  public static Undefined of(String name) { return new Undefined(name, null, UndefinedPolicy.DEFAULT); }

  static Undefined of(String name, String hint, UndefinedPolicy p) { return new Undefined(name, hint, p); }

  public String name() { return name; }
  public UndefinedPolicy policy() { return policy; }

  Undefined withPolicy(UndefinedPolicy p) { return p == policy ? this : new Undefined(name, hint, p); }

  /** The jinja2-style message: "'foo' is undefined" or "'dict object' has no attribute 'x'". */
  public String message() {
    if (hint != null) return hint;
    if (name == null) return "value is undefined";
    return "'" + name + "' is undefined";
  }

  /** Raises an {@link UndefinedError} describing this value. */
  public UndefinedError fail() { return new UndefinedError(message()); }

  boolean strict() { return policy == UndefinedPolicy.STRICT; }

  @Override public String toString() {
    if (policy == UndefinedPolicy.STRICT) throw fail();
    return "";
  }
}
