package dev.weir.jinja;

/**
 * An object with attributes visible to templates ({@code obj.name}, and {@code obj['name']}).
 * Return {@code null} or {@link Undefined#of(String)} when the attribute is absent.
 * A JinjaObject that also implements {@link JinjaCallable} can be called.
 */
@FunctionalInterface
public interface JinjaObject {
  Object getAttribute(String name);
}
