package dev.weir.core.util;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import org.junit.jupiter.api.Test;

/** The console formats times and durations without java.util.Formatter or java.time's zone rules (start-up cost). */
class ConsoleTest {

  @Test
  void secondsAreWrittenWithThreeDecimalsAsFormatWritesThem() {
    for (double s : new double[] {0, 0.0004, 0.0006, 0.05, 1.5, 12.3456, 0.999, 1234.5678, 59.99951, -0.25}) {
      assertThat(Console.seconds(s)).as("%s", s).isEqualTo(String.format(java.util.Locale.ROOT, "%.3f", s));
    }
  }

  @Test
  void linesCarryTheLocalTime() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    Console c = new Console(new PrintStream(bytes, true, StandardCharsets.UTF_8), false, Console.Format.TEXT, false, false, "t");
    LocalTime before = LocalTime.now().withNano(0);
    c.info("hello");
    LocalTime after = LocalTime.now();
    String line = bytes.toString(StandardCharsets.UTF_8);
    assertThat(line).endsWith("  hello" + System.lineSeparator());
    LocalTime printed = LocalTime.parse(line.substring(0, 8), DateTimeFormatter.ofPattern("HH:mm:ss"));
    // the same clock as java.time's (around midnight the two may straddle it)
    if (!after.isBefore(before)) {
      assertThat(printed).isBetween(before, after);
    } else {
      assertThat(Duration.between(printed, before).abs().getSeconds() <= 1 || Duration.between(printed, after).abs().getSeconds() <= 1).isTrue();
    }
  }
}
