package dev.weir.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link TestProject} that builds on one engine: embedded DuckDB (a file in the project folder)
 * or the JVM's shared PostgreSQL 17 ({@link SharedPostgres}). Each project gets its own schema
 * {@link #schema}, so tests never collide on the shared server. SQL in assertions is written once
 * with {@code {s}} for the schema; rows come back as text ({@code value|value|...}, null as
 * "null") from whichever engine built them.
 */
final class EngineProject {

  enum Engine { DUCKDB, POSTGRES }

  private static final AtomicInteger SEQ = new AtomicInteger();

  final Engine engine;
  final TestProject p;
  final String schema;

  private EngineProject(Engine engine, Path dir, String name, String extraYaml) {
    this.engine = engine;
    this.schema = name + "_" + SEQ.incrementAndGet();
    this.p = TestProject.create(dir, name, extraYaml == null ? "" : extraYaml.replace("{s}", schema));
    String output = engine == Engine.DUCKDB
        ? """
              type: duckdb
              path: '%s'
              schema: %s
        """.formatted(warehouse().toAbsolutePath(), schema)
        : postgresOutput(schema);
    p.file("profiles.yml", name + ":\n  target: dev\n  outputs:\n    dev:\n" + output);
  }

  /** A profile output (indented for {@code outputs: <name>:}) on the shared Postgres server, building into {@code schema}. */
  static String postgresOutput(String schema) {
    return """
              type: postgres
              host: localhost
              port: %d
              user: postgres
              password: unused
              dbname: postgres
              schema: %s
              threads: 2
        """.formatted(SharedPostgres.get().getPort(), schema);
  }

  /**
   * A project named {@code name} on {@code engine}; {@code extraYaml} is appended to dbt_project.yml.
   * Here and in {@link #file}, {@code {s}} stands for the project's schema.
   */
  static EngineProject create(Engine engine, Path dir, String name, String extraYaml) {
    return new EngineProject(engine, dir, name, extraYaml);
  }

  static EngineProject create(Engine engine, Path dir, String name) {
    return new EngineProject(engine, dir, name, "");
  }

  Path dir() { return p.dir; }

  private Path warehouse() { return p.dir.resolve("warehouse.duckdb"); }

  EngineProject file(String rel, String text) {
    p.file(rel, text.replace("{s}", schema));
    return this;
  }

  EngineProject delete(String rel) {
    p.delete(rel);
    return this;
  }

  String read(String rel) { return p.read(rel); }

  boolean exists(String rel) { return p.exists(rel); }

  JsonNode json(String rel) { return p.json(rel); }

  TestProject.Result run(String... args) { return p.run(args); }

  /** Rows of {@code sql} ({@code {s}} stands for the project's schema), values joined with '|'. */
  List<String> rows(String sql) {
    List<String> out = new ArrayList<>();
    for (List<Object> r : query(sql)) {
      StringBuilder sb = new StringBuilder();
      for (Object v : r) {
        if (sb.length() > 0) sb.append('|');
        sb.append(v);
      }
      out.add(sb.toString());
    }
    return out;
  }

  /** Rows of {@code sql} ({@code {s}} stands for the project's schema) as JDBC objects. */
  List<List<Object>> query(String sql) {
    String q = sql.replace("{s}", schema);
    if (engine == Engine.DUCKDB) return TestProject.query(warehouse(), q);
    try (Connection c = postgresConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(q)) {
      List<List<Object>> out = new ArrayList<>();
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        List<Object> row = new ArrayList<>();
        for (int i = 1; i <= n; i++) row.add(rs.getObject(i));
        out.add(row);
      }
      return out;
    } catch (SQLException e) {
      throw new AssertionError("query failed on postgres: " + q + "\n" + e.getMessage(), e);
    }
  }

  /** Runs statements outside Weir ({@code {s}} stands for the schema), e.g. to create a source table. */
  void execute(String... sql) {
    if (engine == Engine.DUCKDB) {
      String[] qs = new String[sql.length];
      for (int i = 0; i < sql.length; i++) qs[i] = sql[i].replace("{s}", schema);
      TestProject.execute(warehouse(), qs);
      return;
    }
    try (Connection c = postgresConnection(); Statement st = c.createStatement()) {
      for (String s : sql) st.execute(s.replace("{s}", schema));
    } catch (SQLException e) {
      throw new AssertionError("statement failed on postgres: " + e.getMessage(), e);
    }
  }

  private static Connection postgresConnection() throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", "postgres");
    return DriverManager.getConnection("jdbc:postgresql://localhost:" + SharedPostgres.get().getPort() + "/postgres", props);
  }

  /** Whether a table or view {@code name} exists in the project's schema. */
  boolean relationExists(String name) { return relationExists(schema, name); }

  boolean relationExists(String inSchema, String name) {
    if (engine == Engine.DUCKDB && !Files.exists(warehouse())) return false;
    return !query("select 1 from information_schema.tables where table_schema = '" + inSchema.replace("{s}", schema)
        + "' and table_name = '" + name + "'").isEmpty();
  }

  /** The relation's type in the project's schema as information_schema reports it (BASE TABLE, VIEW), or null. */
  String relationType(String name) { return relationType(schema, name); }

  /** The type of a relation in {@code inSchema} ({@code {s}} stands for the project's schema), or null. */
  String relationType(String inSchema, String name) {
    List<List<Object>> r = query("select table_type from information_schema.tables where table_schema = '"
        + inSchema.replace("{s}", schema) + "' and table_name = '" + name + "'");
    return r.isEmpty() ? null : String.valueOf(r.get(0).get(0));
  }

  /** name:TYPE of the tables and views in the project's schema, ordered by name. */
  List<String> relations() {
    List<String> out = new ArrayList<>();
    for (List<Object> r : query("select table_name, table_type from information_schema.tables where table_schema = '"
        + schema + "' order by table_name")) {
      out.add(r.get(0) + ":" + r.get(1));
    }
    return out;
  }

  /** Column names of a relation in the project's schema, in order, joined with ','. */
  String columnNames(String table) {
    return String.join(",", rows("select column_name from information_schema.columns where table_schema = '" + schema
        + "' and table_name = '" + table + "' order by ordinal_position"));
  }

  /** Column names of a relation in order, with a portable type family (int, text, date, bool, float, ts). */
  List<String> columns(String table) {
    List<String> out = new ArrayList<>();
    for (List<Object> r : query("select column_name, data_type from information_schema.columns where table_schema = '"
        + schema + "' and table_name = '" + table + "' order by ordinal_position")) {
      out.add(r.get(0) + ":" + family(String.valueOf(r.get(1))));
    }
    return out;
  }

  /** A portable family for an information_schema data_type: int, text, bool, date, float, ts (or the type itself). */
  static String family(String type) {
    String t = type.toLowerCase(Locale.ROOT);
    if (t.equals("integer") || t.equals("bigint") || t.equals("smallint") || t.equals("hugeint")) return "int";
    if (t.equals("varchar") || t.equals("text") || t.startsWith("character varying")) return "text";
    if (t.equals("boolean")) return "bool";
    if (t.equals("date")) return "date";
    if (t.equals("double") || t.equals("double precision") || t.equals("real") || t.equals("float")
        || t.startsWith("numeric") || t.startsWith("decimal")) return "float";
    if (t.startsWith("timestamp")) return "ts";
    return t;
  }

  @Override
  public String toString() { return engine + ":" + schema; }
}
