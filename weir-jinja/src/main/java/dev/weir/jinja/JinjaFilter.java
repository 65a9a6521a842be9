package dev.weir.jinja;

import java.util.List;
import java.util.Map;

/** A filter: {@code value|name(args, kw=...)}. */
@FunctionalInterface
public interface JinjaFilter {
  Object apply(RenderContext ctx, Object value, List<Object> args, Map<String, Object> kwargs);
}
