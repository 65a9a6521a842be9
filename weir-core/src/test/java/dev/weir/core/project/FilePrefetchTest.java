package dev.weir.core.project;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The read-ahead of {@code weir parse} lists the project's folders from the up-to-date snapshot instead of walking them
 * again: what it lists must be what the loader's own walk lists, and where the snapshot cannot tell it must walk.
 */
class FilePrefetchTest {

  private static void write(Path root, String rel) throws Exception {
    Path f = root.resolve(rel);
    Files.createDirectories(f.getParent());
    Files.writeString(f, rel.equals("dbt_project.yml") ? "name: p\nversion: '1.0'\nconfig-version: 2\n" : "select 1\n");
  }

  /** One folder's listing from the snapshot, or null when the snapshot cannot tell. */
  private static List<Path> listing(Map<String, long[]> snapshot, Path root, String folder) {
    return UpToDate.listings(snapshot, root, List.of(folder)).get(folder);
  }

  @Test
  void aFolderListedFromTheSnapshotIsTheFolderWalked(@TempDir Path tmp) throws Exception {
    Path root = tmp.toRealPath();
    for (String rel : List.of("dbt_project.yml", "models/a.sql", "models/b.yml", "models/sub/c.sql", "models/sub/deeper/d.sql",
        "models/z.sql", "macros/m.sql", "seeds/s.csv", "target/manifest.json", "logs/weir.log", "models_extra/e.sql")) {
      write(root, rel);
    }
    Files.createDirectories(root.resolve("models/empty"));
    Files.createSymbolicLink(root.resolve("models/link.sql"), root.resolve("models/a.sql"));
    Files.createSymbolicLink(root.resolve("models/linked_dir"), root.resolve("macros"));
    Map<String, long[]> snapshot = UpToDate.snapshot(root, "target");

    for (String folder : List.of("models", "models/sub", "macros", "seeds", "analyses", "models_extra")) {
      List<Path> listed = listing(snapshot, root, folder);
      assertThat(listed).as(folder).isNotNull().isEqualTo(ProjectLoader.walk(root, folder));
    }
    // several folders in one pass, one inside another
    Map<String, List<Path>> all = UpToDate.listings(snapshot, root, List.of("models", "models/sub", "macros"));
    assertThat(all.get("models")).isEqualTo(ProjectLoader.walk(root, "models"));
    assertThat(all.get("models/sub")).isEqualTo(ProjectLoader.walk(root, "models/sub"));
    // regular files only, sorted, under the folder alone ("models_extra" is not under "models")
    assertThat(listing(snapshot, root, "models")).containsExactly(root.resolve("models/a.sql"), root.resolve("models/b.yml"),
        root.resolve("models/sub/c.sql"), root.resolve("models/sub/deeper/d.sql"), root.resolve("models/z.sql"));
  }

  @Test
  void namesOutsideAsciiAreListedInTheWalksOrder(@TempDir Path tmp) throws Exception {
    Path root = tmp.toRealPath();
    // a path's order compares its bytes (UTF-8), a string's its UTF-16 characters: they disagree on a character past
    // U+FFFF (a surrogate pair, D83D DE00) against one in U+E000..U+FFFF (FF41)
    for (String rel : List.of("models/a.sql", "models/\u00e9t\u00e9.sql", "models/\uff41.sql", "models/\ud83d\ude00.sql", "models/e.sql")) {
      write(root, rel);
    }
    Map<String, long[]> snapshot = UpToDate.snapshot(root, "target");
    assertThat(listing(snapshot, root, "models")).isEqualTo(ProjectLoader.walk(root, "models")).hasSize(5);
  }

  @Test
  void whereTheSnapshotSkippedAFolderTheFolderIsWalked(@TempDir Path tmp) throws Exception {
    Path root = tmp.toRealPath();
    write(root, "models/a.sql");
    write(root, "models/.hidden/h.sql"); // the snapshot skips hidden folders and logs/ folders; the walk does not
    write(root, "models/logs/l.sql");
    write(root, "macros/m.sql");
    write(root, "target/x/t.sql");
    Map<String, long[]> snapshot = UpToDate.snapshot(root, "target");

    assertThat(listing(snapshot, root, "models")).isNull();
    assertThat(ProjectLoader.walk(root, "models")).hasSize(3);
    assertThat(listing(snapshot, root, "macros")).isEqualTo(ProjectLoader.walk(root, "macros"));
    // folders not in normal form, outside the project or inside a skipped one; and a map that is not a snapshot
    for (String folder : List.of("./models", "models/", "../models", "/models", "target/x", "models/logs")) {
      assertThat(listing(snapshot, root, folder)).as(folder).isNull();
    }
    assertThat(listing(Map.of("macros/m.sql", new long[] {1, 1, 1}), root, "macros")).isNull();
  }

  @Test
  void onceTheLoaderReadsFilesItselfNothingMoreIsReadAhead(@TempDir Path tmp) throws Exception {
    Path root = tmp.toRealPath();
    write(root, "dbt_project.yml");
    write(root, "models/a.sql");
    write(root, "models/b.sql");
    FilePrefetch ahead = new FilePrefetch(root);
    ahead.loaderReads();
    ahead.start(() -> {
      try {
        return UpToDate.snapshot(root, "target");
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    assertThat(ahead.await(30_000)).isTrue();
    assertThat(ahead.take(root.resolve("models/a.sql"))).isNull();
    assertThat(ahead.parsed()).isZero();
    // the folders are still listed ahead
    assertThat(ahead.listing("models")).containsExactly(root.resolve("models/a.sql"), root.resolve("models/b.sql"));
  }
}
