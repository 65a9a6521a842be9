package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The small project the bad-input tests break one file at a time: a seed, three table models (one
 * in a folder with its own config path), a view, a YAML test, a profiles.yml pointing at
 * {@code wh.duckdb} in the project folder. Runs the real CLI in-process ({@link Main#run}); the
 * warehouse is read back with plain JDBC once the command has closed it.
 */
final class BadInputProject {
  static final String DBT_PROJECT = """
      name: shop
      version: "1.0.0"
      config-version: 2
      profile: shop
      vars:
        start_date: "2024-01-01"
      models:
        shop:
          +materialized: table
          staging:
            +tags: ["staging"]
      """;

  static final String PROFILES = """
      shop:
        target: dev
        outputs:
          dev:
            type: duckdb
            path: wh.duckdb
            threads: 2
      """;

  static final String SEED = "id,amount\n1,10\n2,20\n3,30\n";
  static final String STG_ORDERS = "select id, amount\nfrom {{ ref('raw_orders') }}\n";
  static final String ORDER_TOTALS = "select count(*) as n, sum(amount) as total\nfrom {{ ref('stg_orders') }}\n";
  static final String CUSTOMERS = "select 1 as id, 'ann' as name\n";
  static final String ORDER_VIEW = "{{ config(materialized='view') }}\nselect id, amount * 2 as doubled\nfrom {{ ref('stg_orders') }}\n";
  static final String SLOW = "select 42 as answer\n";
  static final String SCHEMA_YML = """
      version: 2
      models:
        - name: stg_orders
          description: staged orders
          columns:
            - name: id
              tests:
                - not_null
      """;

  /** What each relation holds after a good build: query → rows. */
  static final Map<String, List<String>> GOOD = new LinkedHashMap<>();

  static {
    GOOD.put("select id, amount from raw_orders order by id", List.of("1|10", "2|20", "3|30"));
    GOOD.put("select id, amount from stg_orders order by id", List.of("1|10", "2|20", "3|30"));
    GOOD.put("select n, total from order_totals", List.of("3|60"));
    GOOD.put("select id, name from customers", List.of("1|ann"));
    GOOD.put("select id, doubled from order_view order by id", List.of("1|20", "2|40", "3|60"));
    GOOD.put("select answer from slow", List.of("42"));
  }

  final Path dir;
  final Map<String, String> env = new HashMap<>(System.getenv());

  BadInputProject(Path dir) {
    this.dir = dir;
    env.put("NO_COLOR", "1");
    env.remove("WEIR_PROFILES_DIR");
    env.remove("DBT_PROFILES_DIR");
    env.put("HOME", dir.resolve("no-home").toString());
  }

  /** Writes the good project into {@code dir} (not built). */
  static BadInputProject write(Path dir) {
    BadInputProject p = new BadInputProject(dir);
    p.file("dbt_project.yml", DBT_PROJECT)
        .file("profiles.yml", PROFILES)
        .file("seeds/raw_orders.csv", SEED)
        .file("models/staging/stg_orders.sql", STG_ORDERS)
        .file("models/order_totals.sql", ORDER_TOTALS)
        .file("models/customers.sql", CUSTOMERS)
        .file("models/order_view.sql", ORDER_VIEW)
        .file("models/slow.sql", SLOW)
        .file("models/schema.yml", SCHEMA_YML);
    return p;
  }

  /** A copy of an already built project (its warehouse file, target/ and all). */
  static BadInputProject copyOf(Path built, Path dir) {
    try (Stream<Path> s = Files.walk(built)) {
      for (Path f : s.toList()) {
        Path rel = built.relativize(f);
        if (rel.toString().startsWith("logs")) continue;
        Path to = dir.resolve(rel.toString());
        if (Files.isDirectory(f)) Files.createDirectories(to);
        else Files.copy(f, to);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new BadInputProject(dir);
  }

  BadInputProject file(String rel, String text) {
    try {
      Path p = dir.resolve(rel);
      Files.createDirectories(p.getParent());
      Files.writeString(p, text);
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

  /** Replaces {@code from} (which must occur) by {@code to} in a file. */
  BadInputProject edit(String rel, String from, String to) {
    String text = read(rel);
    assertThat(text).as(rel).contains(from);
    return file(rel, text.replace(from, to));
  }

  Path db() { return dir.resolve("wh.duckdb"); }

  // ------------------------------------------------------------------ running

  /** Runs {@code weir <args> --project-dir <dir>} in-process. */
  Result run(String... args) {
    return run(new ByteArrayOutputStream(), args);
  }

  /** Same, writing the terminal output to {@code out} as it comes (tests that watch a running command). */
  Result run(ByteArrayOutputStream out, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.add("--project-dir");
    all.add(dir.toString());
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code;
    synchronized (BadInputProject.class) {
      try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
           PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
        System.setOut(o);
        System.setErr(e);
        code = Main.run(env, all.toArray(String[]::new));
      } finally {
        System.setOut(oldOut);
        System.setErr(oldErr);
      }
    }
    Result r = new Result(String.join(" ", args), code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    // -Dbadinput.print=true shows every command's output (to read the messages as a user would)
    if (Boolean.getBoolean("badinput.print")) System.out.println("==== " + r);
    return r;
  }

  /** What a command did. */
  record Result(String command, int exitCode, String out, String err) {
    private static final Pattern STACK = Pattern.compile("(?m)^\\s+at [\\w$.]+\\(|Exception in thread|\\.java:\\d+\\)");
    private static final Pattern ERROR_LINE = Pattern.compile("^(\\d\\d:\\d\\d:\\d\\d  )?Error\\b.*");

    /** Lines (timestamp removed) that start with "Error": the error as the user sees it. */
    List<String> errorLines() {
      List<String> out = new ArrayList<>();
      for (String l : (out() + err()).lines().toList()) {
        if (ERROR_LINE.matcher(l).matches()) out.add(l.replaceFirst("^\\d\\d:\\d\\d:\\d\\d  ", ""));
      }
      return out;
    }

    /** Asserts the exit code; the exactly one error line, containing each fragment; no stack trace. */
    Result failsWith(int code, String... fragments) {
      assertThat(exitCode).as("exit code of 'weir %s'%n%s", command, this).isEqualTo(code);
      List<String> errors = errorLines();
      assertThat(errors).as("error lines of 'weir %s'%n%s", command, this).hasSize(1);
      for (String f : fragments) assertThat(errors.get(0)).as("the error of 'weir %s'%n%s", command, this).contains(f);
      return noStackTrace();
    }

    Result noStackTrace() {
      assertThat(STACK.matcher(out + err).find()).as("a stack trace in the output of 'weir %s'%n%s", command, this).isFalse();
      return this;
    }

    /** Asserts exit 0 and a warning line containing each fragment. */
    Result warns(String... fragments) {
      assertThat(exitCode).as("exit code of 'weir %s'%n%s", command, this).isEqualTo(0);
      List<String> warnings = out.lines().filter(l -> l.contains("[WARNING]")).toList();
      assertThat(warnings).as("warnings of 'weir %s'%n%s", command, this)
          .anySatisfy(w -> assertThat(w).contains(fragments));
      return noStackTrace();
    }

    @Override
    public String toString() { return "weir " + command + " -> " + exitCode + "\n--- stdout:\n" + out + "--- stderr:\n" + err; }
  }

  // ------------------------------------------------------------------ the warehouse

  /** Rows of {@code sql}, each row its values joined with '|'. */
  List<String> rows(String sql) {
    List<String> out = new ArrayList<>();
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + db());
         Statement st = c.createStatement();
         ResultSet rs = st.executeQuery(sql)) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= n; i++) {
          if (i > 1) sb.append('|');
          sb.append(rs.getObject(i));
        }
        out.add(sb.toString());
      }
    } catch (SQLException e) {
      throw new AssertionError("query failed on " + db() + ": " + sql + ": " + e.getMessage(), e);
    }
    return out;
  }

  /** Every relation of the good build still holds exactly its rows, except the queries in {@code changed}. */
  void assertUnchanged(Map<String, List<String>> changed) {
    Map<String, List<String>> expected = new LinkedHashMap<>(GOOD);
    expected.putAll(changed);
    Map<String, List<String>> actual = new LinkedHashMap<>();
    for (String q : expected.keySet()) actual.put(q, rows(q));
    assertThat(actual).as("relations in " + db()).isEqualTo(expected);
  }

  void assertUnchanged() { assertUnchanged(Map.of()); }

  /** The relations in the warehouse's main schema (to catch a temporary one left behind). */
  List<String> relations() {
    return rows("select table_name from information_schema.tables where table_schema = 'main' order by 1");
  }
}
