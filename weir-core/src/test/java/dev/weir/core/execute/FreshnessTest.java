package dev.weir.core.execute;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.TimeZone;
import org.junit.jupiter.api.Test;

/** The two rules of freshness that need no warehouse: reading load times, and thresholds. */
class FreshnessTest {

  @Test
  void aTimestampWithoutTimeZoneIsUtcWhateverTheMachinesZone() {
    TimeZone before = TimeZone.getDefault();
    try {
      TimeZone.setDefault(TimeZone.getTimeZone("Asia/Tokyo"));
      assertThat(Freshness.toInstant(LocalDateTime.of(2024, 5, 1, 10, 0))).isEqualTo(Instant.parse("2024-05-01T10:00:00Z"));
      // A timestamptz is its own instant.
      assertThat(Freshness.toInstant(OffsetDateTime.of(2024, 5, 1, 10, 0, 0, 0, ZoneOffset.ofHours(2))))
          .isEqualTo(Instant.parse("2024-05-01T08:00:00Z"));
      assertThat(Freshness.toInstant("2024-05-01")).isNull();
      assertThat(Freshness.toInstant(42L)).isNull();
    } finally {
      TimeZone.setDefault(before);
    }
  }

  @Test
  void olderThanErrorAfterIsErrorOlderThanWarnAfterIsWarn() {
    Map<String, Object> f = Map.of("warn_after", Map.of("count", 30L, "period", "minute"),
        "error_after", Map.of("count", 2L, "period", "day"));
    assertThat(Freshness.status(f, Duration.ofMinutes(30))).isEqualTo(Freshness.Status.PASS);
    assertThat(Freshness.status(f, Duration.ofMinutes(31))).isEqualTo(Freshness.Status.WARN);
    assertThat(Freshness.status(f, Duration.ofHours(49))).isEqualTo(Freshness.Status.ERROR);
    // Only an error_after: never a warning.
    assertThat(Freshness.status(Map.of("error_after", Map.of("count", 1L, "period", "hour")), Duration.ofMinutes(59)))
        .isEqualTo(Freshness.Status.PASS);
    assertThat(Freshness.describe(Duration.ofMinutes(185))).isEqualTo("3h 5m");
  }
}
