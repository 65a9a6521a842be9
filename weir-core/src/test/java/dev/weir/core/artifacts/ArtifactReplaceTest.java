package dev.weir.core.artifacts;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A large artifact's old file is deleted apart from the rename that replaces it: the new file must be whole, the old
 * one gone once the command waits for it, and a reader of the old file must still read all of it.
 */
class ArtifactReplaceTest {

  private static String big(char c) {
    return String.valueOf(c).repeat(3 << 20);
  }

  private static void write(Path file, String value) {
    Artifacts.writeAtomically(file, g -> {
      g.writeStartObject();
      g.writeStringField("v", value);
      g.writeEndObject();
    });
  }

  private static long siblings(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.count();
    }
  }

  @Test
  void aLargeArtifactIsReplacedWholeAndItsOldFileDeleted(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("manifest.json");
    write(file, big('a'));
    InputStream reader = Files.newInputStream(file); // someone reading the old manifest meanwhile
    write(file, big('b'));
    Artifacts.awaitDeletes();

    assertThat(Files.readString(file)).isEqualTo("{\"v\":\"" + big('b') + "\"}");
    assertThat(siblings(dir)).isEqualTo(1); // no temp file, no link to the old one
    try (reader) {
      assertThat(new String(reader.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("{\"v\":\"" + big('a') + "\"}");
    }
  }

  @Test
  void aLinkAKilledProcessLeftIsDeletedByTheNextReplace(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("manifest.json");
    write(file, big('a'));
    Files.writeString(dir.resolve("manifest.json.replaced"), "left by a process killed before it deleted it");
    write(file, big('c'));
    Artifacts.awaitDeletes();

    assertThat(Files.readString(file)).startsWith("{\"v\":\"ccc");
    assertThat(siblings(dir)).isEqualTo(1);
  }
}
