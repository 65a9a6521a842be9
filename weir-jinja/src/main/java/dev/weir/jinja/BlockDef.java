package dev.weir.jinja;

import java.util.List;

/**
 * A custom top-level block such as {@code {% docs name %}...{% enddocs %}}, {@code {% snapshot name %}},
 * {@code {% test name(args) %}} or {@code {% materialization name, adapter='x' %}}.
 * {@code args} holds the literal values of the opening tag's positional arguments (the first being the name as a String)
 * followed by nothing else; keyword arguments of materializations are in {@code kwargs}.
 */
public record BlockDef(String tag, List<Object> args, java.util.Map<String, Object> kwargs, String name, Template body, int line) {}
