package dev.weir.jinja;

import java.util.List;

/** A test: {@code value is name(args)}. */
@FunctionalInterface
public interface JinjaTest {
  boolean test(RenderContext ctx, Object value, List<Object> args);
}
