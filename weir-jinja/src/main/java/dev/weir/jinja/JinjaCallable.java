package dev.weir.jinja;

import java.util.List;
import java.util.Map;

/** Any Java function exposed to templates. {@code args}/{@code kwargs} are never null (may be empty). */
@FunctionalInterface
public interface JinjaCallable {
  Object call(RenderContext ctx, List<Object> args, Map<String, Object> kwargs);
}
