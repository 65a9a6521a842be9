package dev.weir.jinja;

/** Behaviour of undefined values, mirroring jinja2.Undefined / StrictUndefined / ChainableUndefined. */
public enum UndefinedPolicy {
  /** jinja2.Undefined: renders "", falsy, iterates empty; attribute/item/call on it raises. */
  DEFAULT,
  /** jinja2.StrictUndefined: any use except {@code is defined}/{@code default} raises. */
  STRICT,
  /** jinja2.ChainableUndefined: attribute/item/call on undefined give undefined; renders "". */
  CHAINABLE
}
