package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * A dbt project written into a temporary folder from Java text blocks, run through the real CLI
 * ({@link Main#run}) in-process, and inspected through the files it leaves and the DuckDB file it
 * builds (queried with plain JDBC after the command has closed the warehouse).
 */
final class TestProject {
  static final ObjectMapper JSON = new ObjectMapper();

  final Path dir;
  /** The environment the CLI sees (the process's, plus what a test adds; NO_COLOR set). */
  final Map<String, String> env = new HashMap<>(System.getenv());

  TestProject(Path dir) {
    this.dir = dir;
    env.put("NO_COLOR", "1");
    // Keep a developer's own ~/.dbt/profiles.yml and profile env vars out of the tests.
    env.remove("WEIR_PROFILES_DIR");
    env.remove("DBT_PROFILES_DIR");
    env.put("HOME", dir.resolve("no-home").toString());
  }

  /** A project named {@code name} with the minimal dbt_project.yml (plus {@code extraYaml} appended). */
  static TestProject create(Path dir, String name, String extraYaml) {
    TestProject p = new TestProject(dir);
    p.file("dbt_project.yml", """
        name: %s
        version: "1.0.0"
        config-version: 2
        profile: %s
        """.formatted(name, name) + (extraYaml == null ? "" : extraYaml));
    return p;
  }

  /** Copies a folder (e.g. examples/coffee_shop) into {@code dir}, leaving out target/ and logs/. */
  static TestProject copyOf(Path source, Path dir) {
    try (Stream<Path> s = Files.walk(source)) {
      for (Path f : s.toList()) {
        Path rel = source.relativize(f);
        if (rel.toString().startsWith("target") || rel.toString().startsWith("logs")) continue;
        Path to = dir.resolve(rel.toString());
        if (Files.isDirectory(f)) Files.createDirectories(to);
        else Files.copy(f, to);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new TestProject(dir);
  }

  /** The repository root (holds examples/), found by walking up from the working directory. */
  static Path repoRoot() {
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      if (Files.isDirectory(d.resolve("examples").resolve("coffee_shop")) && Files.isRegularFile(d.resolve("pom.xml"))) return d;
    }
    throw new AssertionError("repository root with examples/coffee_shop not found above " + Path.of("").toAbsolutePath());
  }

  TestProject file(String rel, String text) {
    try {
      Path p = dir.resolve(rel);
      Files.createDirectories(p.getParent());
      Files.writeString(p, text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return this;
  }

  TestProject delete(String rel) {
    try {
      Files.deleteIfExists(dir.resolve(rel));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return this;
  }

  String read(String rel) {
    try {
      return Files.readString(dir.resolve(rel));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  boolean exists(String rel) { return Files.exists(dir.resolve(rel)); }

  JsonNode json(String rel) {
    try {
      return JSON.readTree(dir.resolve(rel).toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every file under {@code rel} (recursively) concatenated, for "does X appear anywhere" checks. */
  String readAll(String rel) {
    Path root = dir.resolve(rel);
    if (!Files.exists(root)) return "";
    StringBuilder sb = new StringBuilder();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path f : s.filter(Files::isRegularFile).sorted(Comparator.naturalOrder()).toList()) {
        sb.append("== ").append(root.relativize(f)).append('\n').append(Files.readString(f)).append('\n');
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return sb.toString();
  }

  /**
   * {@code -Djava.io.tmpdir=...} for a child JVM: a folder inside {@code dir} (a test's temporary folder). DuckDB's
   * JDBC driver copies its 70 MB native library into the temp folder at every start and only a clean exit deletes
   * it; children the tests kill would otherwise leave one copy each in /tmp.
   */
  static String childTmp(Path dir) {
    Path t = dir.resolve(".jvm-tmp");
    try {
      Files.createDirectories(t);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return "-Djava.io.tmpdir=" + t;
  }

  /** Runs {@code weir <args> --project-dir <dir>}. */
  Result run(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.add("--project-dir");
    all.add(dir.toString());
    return runRaw(env, all.toArray(String[]::new));
  }

  /** Runs weir with exactly these arguments (no --project-dir added). */
  static Result runRaw(Map<String, String> env, String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code;
    synchronized (TestProject.class) {
      try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
           PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
        System.setOut(o);
        System.setErr(e);
        code = Main.run(env, args);
      } finally {
        System.setOut(oldOut);
        System.setErr(oldErr);
      }
    }
    return new Result(String.join(" ", args), code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** What a command did: its exit code and what it printed. */
  record Result(String command, int exitCode, String out, String err) {
    List<String> lines() { return out.lines().toList(); }

    /** Asserts the exit code, showing the output when it differs. */
    Result exits(int expected) {
      assertThat(exitCode).as("exit code of 'weir %s'%n--- stdout:%n%s%n--- stderr:%n%s", command, out, err).isEqualTo(expected);
      return this;
    }

    Result ok() { return exits(0); }

    @Override
    public String toString() { return "weir " + command + " -> " + exitCode + "\n" + out + err; }
  }

  // ------------------------------------------------------------------ the warehouse

  Path db() { return dir.resolve("target").resolve("weir.duckdb"); }

  /** Rows of {@code sql} on the default warehouse file, each row its values joined with '|' (null as "null"). */
  List<String> rows(String sql) { return rows(db(), sql); }

  static List<String> rows(Path dbFile, String sql) {
    List<String> out = new ArrayList<>();
    for (List<Object> r : query(dbFile, sql)) {
      StringBuilder sb = new StringBuilder();
      for (Object v : r) {
        if (sb.length() > 0) sb.append('|');
        sb.append(v);
      }
      out.add(sb.toString());
    }
    return out;
  }

  List<List<Object>> query(String sql) { return query(db(), sql); }

  static List<List<Object>> query(Path dbFile, String sql) {
    assertThat(dbFile).as("warehouse file").exists();
    Properties props = new Properties();
    props.setProperty("duckdb.read_only", "true");
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + dbFile.toAbsolutePath(), props);
         Statement st = c.createStatement();
         ResultSet rs = st.executeQuery(sql)) {
      List<List<Object>> out = new ArrayList<>();
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        List<Object> row = new ArrayList<>();
        for (int i = 1; i <= n; i++) row.add(rs.getObject(i));
        out.add(row);
      }
      return out;
    } catch (SQLException e) {
      throw new AssertionError("query failed on " + dbFile + ": " + sql + "\n" + e.getMessage(), e);
    }
  }

  /** Whether a table or view exists (schema, name), looked up in information_schema. */
  boolean relationExists(String schema, String name) { return relationExists(db(), schema, name); }

  static boolean relationExists(Path dbFile, String schema, String name) {
    if (!Files.exists(dbFile)) return false;
    return !query(dbFile, "select 1 from information_schema.tables where table_schema = '" + schema
        + "' and table_name = '" + name + "'").isEmpty();
  }

  /** The relation's type as information_schema reports it (BASE TABLE, VIEW), or null. */
  String relationType(String schema, String name) {
    List<List<Object>> r = query(db(), "select table_type from information_schema.tables where table_schema = '" + schema
        + "' and table_name = '" + name + "'");
    return r.isEmpty() ? null : String.valueOf(r.get(0).get(0));
  }

  /** Runs statements on a warehouse file (read-write) outside Weir, e.g. to create a source table. */
  static void execute(Path dbFile, String... sql) {
    try {
      Files.createDirectories(dbFile.getParent());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + dbFile.toAbsolutePath());
         Statement st = c.createStatement()) {
      for (String s : sql) st.execute(s);
    } catch (SQLException e) {
      throw new AssertionError("statement failed on " + dbFile + ": " + e.getMessage(), e);
    }
  }
}
