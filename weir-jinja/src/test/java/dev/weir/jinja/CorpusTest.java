package dev.weir.jinja;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Renders every corpus template and compares with the output of real Python Jinja2 (gen_expected.py). */
class CorpusTest {
  static final Path CORPUS = Paths.get("src/test/resources/corpus");

  static Stream<String> cases() throws IOException {
    try (Stream<Path> s = Files.list(CORPUS)) {
      List<String> names = new ArrayList<>();
      s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".j2")).sorted().forEach(n -> names.add(n.substring(0, n.length() - 3)));
      return names.stream();
    }
  }

  static Map<String, Object> map(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
    return m;
  }

  static List<Object> list(Object... items) { return new ArrayList<>(List.of(items)); }

  /** Keep in sync with standard_vars() in gen_expected.py. */
  static Map<String, Object> standardVars() {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("items", list(1L, 2L, 3L));
    v.put("words", list("apple", "Banana", "cherry"));
    v.put("d", map("a", 1L, "b", 2L));
    v.put("users", list(map("name", "alice", "age", 30L, "city", "Paris"), map("name", "bob", "age", 25L, "city", "Berlin"),
        map("name", "carol", "age", 35L, "city", "Paris")));
    v.put("name", "World");
    v.put("num", 42L);
    v.put("flt", 3.5);
    v.put("none_var", null);
    v.put("text", "Hello World");
    v.put("nested", map("x", map("y", map("z", "deep")), "list", list(map("k", 1L), map("k", 2L))));
    return v;
  }

  static JinjaEnvironment envFor(String name) {
    JinjaEnvironment env = new JinjaEnvironment();
    if (name.startsWith("ws_trim_")) env.trimBlocks(true);
    if (name.startsWith("ws_lstrip_")) env.lstripBlocks(true);
    if (name.startsWith("ws_both_")) env.trimBlocks(true).lstripBlocks(true);
    if (name.startsWith("ws_keepnl_")) env.keepTrailingNewline(true);
    if (name.startsWith("strict_")) env.undefined(UndefinedPolicy.STRICT);
    if (name.startsWith("chain_")) env.undefined(UndefinedPolicy.CHAINABLE);
    return env;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void corpus(String name) throws IOException {
    String src = Files.readString(CORPUS.resolve(name + ".j2"), StandardCharsets.UTF_8);
    Path expected = CORPUS.resolve(name + ".expected");
    Path error = CORPUS.resolve(name + ".error");
    JinjaEnvironment env = envFor(name);
    if (Files.exists(error)) {
      String[] head = Files.readString(error, StandardCharsets.UTF_8).split("\n")[0].split(" ");
      String kind = head[0];
      int line = Integer.parseInt(head[1]);
      try {
        String out = env.parse(name + ".j2", src).render(standardVars());
        fail("expected " + kind + " error but rendered: " + out);
      } catch (JinjaException e) {
        String actual = e instanceof TemplateSyntaxError ? "syntax" : e instanceof UndefinedError ? "undefined" : "runtime";
        assertThat(actual).as("error kind of " + e.getMessage()).isEqualTo(kind);
        assertThat(e.templateName()).isEqualTo(name + ".j2");
        if (line > 0) assertThat(e.line()).as("line of " + e.getMessage()).isEqualTo(line);
      }
    } else {
      String want = Files.readString(expected, StandardCharsets.UTF_8);
      String out = env.parse(name + ".j2", src).render(standardVars());
      assertThat(out).isEqualTo(want);
    }
  }
}
