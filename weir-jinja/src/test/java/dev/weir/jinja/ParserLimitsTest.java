package dev.weir.jinja;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ParserLimitsTest {
  @Test
  void deeplyNestedExpressionsAreASyntaxErrorNamingTheTemplate() {
    String deep = "select\n{{ " + "(".repeat(5000) + "1" + ")".repeat(5000) + " }}";
    assertThatThrownBy(() -> new JinjaEnvironment().parse("models/deep.sql", deep))
        .isInstanceOf(TemplateSyntaxError.class)
        .hasMessageContaining("models/deep.sql:2")
        .hasMessageContaining("nested more than");
  }

  @Test
  void reasonableNestingStillWorks() {
    String ok = "{{ " + "(".repeat(50) + "1 + 1" + ")".repeat(50) + " }}";
    assertThat(new JinjaEnvironment().parse("ok", ok).render(java.util.Map.of())).isEqualTo("2");
  }
}
