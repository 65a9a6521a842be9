package dev.weir.core.util;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weir.core.WeirException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SettingValuesTest {
  static Yaml.YMap yaml(String text) { return (Yaml.YMap) Yaml.parse(text, "streams/s.yml"); }

  @Test
  void literalsEnvVarsAndDefaults() {
    Yaml.YMap m = yaml("""
        a: plain
        b: {env_var: HOST}
        c: "{{ env_var('PORT', '5433') }}"
        d: {env_var: MISSING, default: fallback}
        e: "{{ env_var('PORT') }}"
        """);
    Map<String, String> env = Map.of("HOST", "db.local");
    assertThat(SettingValues.value(m, "a", "streams/s.yml", env, false)).isEqualTo("plain");
    assertThat(SettingValues.value(m, "b", "streams/s.yml", env, false)).isEqualTo("db.local");
    assertThat(SettingValues.value(m, "c", "streams/s.yml", env, false)).isEqualTo("5433");
    assertThat(SettingValues.value(m, "c", "streams/s.yml", Map.of("PORT", "6000"), false)).isEqualTo("6000");
    assertThat(SettingValues.value(m, "d", "streams/s.yml", env, false)).isEqualTo("fallback");
    assertThatThrownBy(() -> SettingValues.value(m, "e", "streams/s.yml", env, false)).isInstanceOf(WeirException.class)
        .hasMessageContaining("reads environment variable PORT, which is not set");
  }

  @Test
  void secretsComeOnlyFromTheEnvironmentWithoutDefaults() {
    Yaml.YMap m = yaml("""
        literal: hunter2
        defaulted: "{{ env_var('PW', 'hunter2') }}"
        good: {env_var: PW}
        """);
    assertThatThrownBy(() -> SettingValues.value(m, "literal", "cdc/x.yml", Map.of(), true)).hasMessageContaining("is a secret");
    assertThatThrownBy(() -> SettingValues.value(m, "defaulted", "cdc/x.yml", Map.of("PW", "x"), true)).hasMessageContaining("may not have a default");
    assertThat(SettingValues.value(m, "good", "cdc/x.yml", Map.of("PW", "s3cret-value"), true)).isEqualTo("s3cret-value");
    assertThat(Secrets.mask("pw is s3cret-value")).doesNotContain("s3cret-value");
  }
}
