package dev.weir.core.project;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.jinja.JinjaEnvironment;
import dev.weir.jinja.Macro;
import dev.weir.jinja.Template;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Built-in macro files are registered from a scan and parsed lazily: the scan must see what a parse sees. */
class BuiltinMacrosTest {
  @Test
  void scanOfEveryBuiltinFileFindsExactlyTheMacrosAParseFinds() throws Exception {
    String index = read("index.txt");
    int files = 0;
    for (String line : index.split("\n")) {
      String file = line.strip();
      if (file.isEmpty()) continue;
      files++;
      String src = read(file);
      Template t = new JinjaEnvironment().parse(file, src);
      Map<String, java.util.List<String>> scanned = ProjectLoader.builtinMacroSignatures(src);
      assertThat(scanned.keySet()).as(file).containsExactlyInAnyOrderElementsOf(t.macros().keySet());
      for (Map.Entry<String, Macro> e : t.macros().entrySet()) {
        assertThat(scanned.get(e.getKey())).as(file + " " + e.getKey()).containsExactlyElementsOf(e.getValue().parameterNames());
      }
    }
    assertThat(files).isGreaterThan(3);
  }

  private static String read(String name) throws Exception {
    try (InputStream in = ProjectLoader.class.getResourceAsStream("/dev/weir/core/macros/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
