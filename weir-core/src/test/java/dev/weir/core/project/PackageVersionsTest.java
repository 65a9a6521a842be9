package dev.weir.core.project;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weir.core.WeirException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Hub packages' version specs resolved against a package's published versions (no hub needed). */
class PackageVersionsTest {
  private static final List<String> HUB = List.of("0.9.6", "1.0.0", "1.1.0", "1.1.1", "1.2.0-b1", "1.10.0", "2.0.0", "2.1.0-rc1");

  @Test
  void noSpecIsTheNewestRelease() {
    assertThat(Packages.resolveVersion(null, HUB, false)).isEqualTo("2.0.0");
    assertThat(Packages.resolveVersion(null, HUB, true)).isEqualTo("2.1.0-rc1");
  }

  @Test
  void anExactVersionIsThatVersionEvenAPrerelease() {
    assertThat(Packages.resolveVersion("1.1.0", HUB, false)).isEqualTo("1.1.0");
    assertThat(Packages.resolveVersion("1.2.0-b1", HUB, false)).isEqualTo("1.2.0-b1");
    assertThat(Packages.resolveVersion("=1.0.0", HUB, false)).isEqualTo("1.0.0");
    assertThat(Packages.resolveVersion("3.0.0", HUB, false)).isNull();
  }

  @Test
  void aRangeIsTheNewestReleaseMeetingEveryBound() {
    // numeric, not textual: 1.10.0 is above 1.2.0
    assertThat(Packages.resolveVersion(List.of(">=1.0.0", "<2.0.0"), HUB, false)).isEqualTo("1.10.0");
    assertThat(Packages.resolveVersion(List.of(">=1.0.0", "<1.10.0"), HUB, false)).isEqualTo("1.1.1");
    assertThat(Packages.resolveVersion(List.of(">=1.0.0", "<1.10.0"), HUB, true)).isEqualTo("1.2.0-b1");
    assertThat(Packages.resolveVersion(List.of(">1.1.0", "<=1.1.1"), HUB, false)).isEqualTo("1.1.1");
    assertThat(Packages.resolveVersion("<1.0.0", HUB, false)).isEqualTo("0.9.6");
    assertThat(Packages.resolveVersion(List.of(">=3.0.0"), HUB, false)).isNull();
  }

  @Test
  void versionsCompareAsSemanticVersions() {
    assertThat(Packages.compareVersions("1.10.0", "1.9.0")).isPositive();
    assertThat(Packages.compareVersions("1.2.0-b1", "1.2.0")).isNegative();
    assertThat(Packages.compareVersions("1.2.0-b2", "1.2.0-b1")).isPositive();
    assertThat(Packages.compareVersions("1.2.0", "1.2.0")).isZero();
  }

  @Test
  void aSpecThatIsNotAVersionIsAnError() {
    assertThatThrownBy(() -> Packages.resolveVersion(List.of(">=one"), HUB, false))
        .isInstanceOf(WeirException.class).hasMessageContaining(">=one");
  }
}
