package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CDC exactly-once proof for binlog sources: a generator applies N mixed inserts, updates and
 * deletes (in transactions of 1–20 changes, several changes of one key in one transaction among
 * them) to a MariaDB 11.4 table whose triggers keep an audit table of every row change, while
 * {@code weir cdc run} (connector: mariadb) runs in a real child JVM that is SIGKILLed at random
 * moments five times and halted at each named fault point inside the warehouse transaction,
 * restarted each time (and stopped once with SIGTERM). At the end the warehouse table equals the
 * source table row for row, and the history table holds exactly the audit table's changes, in the
 * same order. N is 10,000 here ({@code -Dweir.cdc.proof.n=100000} for the full proof).
 */
class MariaDbCdcExactlyOnceTest {
  private static final String WH_COLS = "id, name, cast(balance as varchar), version";
  private static final String SRC_COLS = "id, name, cast(balance as char), version";
  private static final int FAULT_CHUNK = 1000;

  @Test
  void killedAndFaultedAtEveryPointBinlogCdcNeitherLosesNorDoublesAChange(@TempDir Path dir) throws Exception {
    int n = Integer.getInteger("weir.cdc.proof.n", 10_000);
    List<String> history = new ArrayList<>();
    long t0 = System.nanoTime();
    SharedMariaDb.Server m = SharedMariaDb.startPrivate("cdcproof");
    List<Process> children = new ArrayList<>();
    try {
      m.exec("create database proof",
          "create table proof.accounts (id int primary key, name varchar(40), balance decimal(12,2), version int)",
          "insert into proof.accounts with recursive g(n) as (select 1 union all select n + 1 from g where n < 1000)"
              + " select n, concat('init', n), n * 0.25, 0 from g",
          "create table proof.accounts_audit (audit_id bigint auto_increment primary key, op char(1), id int, name varchar(40),"
              + " balance decimal(12,2), version int)",
          "create trigger proof.accounts_ai after insert on proof.accounts for each row"
              + " insert into proof.accounts_audit (op, id, name, balance, version) values ('c', new.id, new.name, new.balance, new.version)",
          "create trigger proof.accounts_au after update on proof.accounts for each row"
              + " insert into proof.accounts_audit (op, id, name, balance, version) values ('u', new.id, new.name, new.balance, new.version)",
          "create trigger proof.accounts_ad after delete on proof.accounts for each row"
              + " insert into proof.accounts_audit (op, id, name, balance, version) values ('d', old.id, old.name, old.balance, old.version)",
          "create user 'weir'@'127.0.0.1' identified by 'weir-proof-pw'",
          "grant select, reload, replication slave, replication client on *.* to 'weir'@'127.0.0.1'");

      TestProject proj = TestProject.create(dir.resolve("project"), "cdcproofmdb", "");
      proj.env.put("CDC_PASSWORD", "weir-proof-pw");
      proj.file("cdc/shop.yml", """
          cdc:
            - name: shop
              connector: mariadb
              host: 127.0.0.1
              port: %d
              database: proof
              user: weir
              password: "{{ env_var('CDC_PASSWORD') }}"
              tables: [proof.accounts]
              target_schema: raw_cdc
              history: true
              max_batch: 500
          """.formatted(m.port));

      Path first = dir.resolve("run-snapshot.log");
      Process snap = start(proj, first, null, true);
      children.add(snap);
      assertThat(snap.waitFor(120, TimeUnit.SECONDS)).isTrue();
      assertThat(snap.exitValue()).as(Files.readString(first)).isEqualTo(0);
      history.add("snapshot: " + applied(proj) + " at " + (System.nanoTime() - t0) / 1_000_000 + " ms");

      Generator gen = new Generator(m.connect("proof"), 1000);
      int background = n - 4 * FAULT_CHUNK;
      AtomicReference<Throwable> genFailure = new AtomicReference<>();
      // paced to run through the kills (about 30 s), so that every kill lands while changes flow
      long pause = Math.max(15, 30_000L * 250 / Math.max(background, 1));
      Thread bg = new Thread(() -> {
        try {
          int done = 0;
          while (done < background) {
            int k = Math.min(250, background - done);
            gen.generate(k);
            done += k;
            Thread.sleep(pause);
          }
        } catch (Throwable e) {
          genFailure.set(e);
        }
      }, "cdc-generator");
      bg.start();

      Random rnd = new Random(11);
      int realKills = 0;
      for (int k = 0; k < 5; k++) {
        Path log = dir.resolve("run-kill-" + k + ".log");
        Process child = start(proj, log, null, false);
        children.add(child);
        waitForBatch(child, log);
        Thread.sleep(100 + rnd.nextInt(1500));
        if (child.isAlive()) realKills++;
        child.destroyForcibly(); // SIGKILL
        child.waitFor(30, TimeUnit.SECONDS);
        history.add("kill " + k + ": exit " + child.exitValue() + ", generated " + gen.changes + ", applied " + applied(proj)
            + " at " + (System.nanoTime() - t0) / 1_000_000 + " ms");
      }
      for (String point : List.of("before_commit", "mid_commit", "after_commit")) {
        gen.generate(FAULT_CHUNK);
        Path log = dir.resolve("run-" + point + ".log");
        Process child = start(proj, log, point + ":3", false);
        children.add(child);
        assertThat(child.waitFor(120, TimeUnit.SECONDS)).as("halted at %s", point).isTrue();
        assertThat(child.exitValue()).as("halted at %s: %s", point, Files.readString(log)).isEqualTo(137);
        assertThat(Files.readString(log)).contains("halting at " + point);
        history.add(point + ": exit 137, generated " + gen.changes + ", applied " + applied(proj) + " at "
            + (System.nanoTime() - t0) / 1_000_000 + " ms");
      }
      gen.generate(FAULT_CHUNK);
      Path termLog = dir.resolve("run-term.log");
      Process term = start(proj, termLog, null, false);
      children.add(term);
      waitForBatch(term, termLog);
      term.destroy(); // SIGTERM
      assertThat(term.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(term.exitValue()).as(Files.readString(termLog)).isEqualTo(0);
      assertThat(Files.readString(termLog)).contains("Stopped after");
      history.add("sigterm: exit 0, generated " + gen.changes + ", applied " + applied(proj) + " at "
          + (System.nanoTime() - t0) / 1_000_000 + " ms");
      bg.join(TimeUnit.MINUTES.toMillis(5));
      assertThat(genFailure.get()).isNull();
      assertThat(gen.changes).isEqualTo(n);
      Path last = dir.resolve("run-final.log");
      Process child = start(proj, last, null, true);
      children.add(child);
      assertThat(child.waitFor(300, TimeUnit.SECONDS)).isTrue();
      assertThat(child.exitValue()).as(Files.readString(last)).isEqualTo(0);
      history.add("final at " + (System.nanoTime() - t0) / 1_000_000 + " ms: " + Files.readString(last).lines()
          .filter(l -> l.contains("Stopped after")).findFirst().orElse(""));
      gen.close();
      System.out.println("final run's output (tail):\n" + String.join("\n", Files.readString(last).lines()
          .skip(Math.max(0, Files.readString(last).lines().count() - 8)).toList()));
      System.out.println("MariaDB CDC exactly-once proof (n=" + n + "): " + history);
      assertThat(realKills).as("kills that hit a running capture: %s", history).isGreaterThanOrEqualTo(5);

      List<String> source = rows(m, "select " + SRC_COLS + " from proof.accounts order by id");
      assertThat(proj.rows("select " + WH_COLS + " from raw_cdc.accounts order by id")).isEqualTo(source);
      List<String> audit = rows(m, "select op, " + SRC_COLS + " from proof.accounts_audit order by audit_id");
      assertThat(audit).hasSize(n);
      List<String> hist = proj.rows("select _weir_op, " + WH_COLS + " from raw_cdc.accounts_history where _weir_op <> 'r' order by _weir_seq");
      if (hist.size() != audit.size()) {
        List<String> dbg = proj.rows("select _weir_seq, _weir_op, id, version, _weir_tx_id >> 33, _weir_tx_id & 8589934591, _weir_lsn >> 31,"
            + " (_weir_lsn & 2147483647) >> 1, _weir_lsn & 1 from raw_cdc.accounts_history where _weir_op <> 'r' order by _weir_seq");
        for (int i = 0; i < Math.min(hist.size(), audit.size()); i++) {
          if (!hist.get(i).equals(audit.get(i))) {
            System.out.println("first mismatch at " + i + ": " + dbg.subList(Math.max(0, i - 25), Math.min(dbg.size(), i + 10)));
            break;
          }
        }
      }
      assertThat(hist.size()).as("history rows vs audit rows").isEqualTo(audit.size());
      assertThat(hist).isEqualTo(audit);
      assertThat(proj.rows("select count(*) from raw_cdc.accounts_history where _weir_op = 'r'")).containsExactly("1000");
      assertThat(proj.rows("select count(*), count(distinct _weir_seq) from raw_cdc.accounts_history"))
          .containsExactly((n + 1000) + "|" + (n + 1000));
      assertThat(proj.rows("select events, history_rows from raw_cdc.weir_cdc_offsets where source = 'shop'"))
          .containsExactly((n + 1000) + "|" + (n + 1000));
      Path statusLog = dir.resolve("status.log");
      Process status = command(proj, statusLog, null, "cdc", "status");
      assertThat(status.waitFor(60, TimeUnit.SECONDS)).isTrue();
      String st = Files.readString(statusLog);
      assertThat(status.exitValue()).as(st).isEqualTo(0);
      assertThat(st).contains("shop").contains(String.valueOf(n + 1000)).contains("server_id").contains("binlog end");
      System.out.println(st);
    } finally {
      for (Process p : children) {
        p.destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);
      }
      m.stop();
    }
  }

  /** Random changes in transactions on one connection: their commit order is the audit table's order. */
  static final class Generator implements AutoCloseable {
    private final Connection c;
    private final Random rnd = new Random(42);
    private final List<Integer> live = new ArrayList<>();
    private int nextId;
    volatile int changes;

    Generator(Connection c, int initialRows) throws SQLException {
      this.c = c;
      c.setAutoCommit(false);
      for (int i = 1; i <= initialRows; i++) live.add(i);
      nextId = initialRows + 1;
    }

    synchronized void generate(int count) throws SQLException {
      try (PreparedStatement ins = c.prepareStatement("insert into accounts values (?, ?, ?, 0)");
           PreparedStatement upd = c.prepareStatement("update accounts set name = ?, balance = balance + ?, version = version + 1 where id = ?");
           PreparedStatement del = c.prepareStatement("delete from accounts where id = ?")) {
        int left = count;
        while (left > 0) {
          int tx = Math.min(left, 1 + rnd.nextInt(20));
          for (int i = 0; i < tx; i++) {
            int r = rnd.nextInt(100);
            if (live.isEmpty() || r < 40) {
              int id = nextId++;
              ins.setInt(1, id);
              ins.setString(2, "n" + rnd.nextInt(1_000_000));
              ins.setBigDecimal(3, BigDecimal.valueOf(rnd.nextInt(1_000_000), 2));
              ins.executeUpdate();
              live.add(id);
            } else if (r < 85) {
              int id = live.get(r < 60 ? rnd.nextInt(Math.min(live.size(), 20)) : rnd.nextInt(live.size()));
              upd.setString(1, "u" + rnd.nextInt(1_000_000));
              upd.setBigDecimal(2, BigDecimal.valueOf(rnd.nextInt(10_000), 2));
              upd.setInt(3, id);
              if (upd.executeUpdate() != 1) throw new IllegalStateException("no row " + id);
            } else {
              int id = live.remove(rnd.nextInt(live.size()));
              del.setInt(1, id);
              if (del.executeUpdate() != 1) throw new IllegalStateException("no row " + id);
            }
          }
          c.commit();
          left -= tx;
          changes += tx;
        }
      }
    }

    @Override
    public void close() throws SQLException { c.close(); }
  }

  private static String applied(TestProject p) {
    try {
      return String.join(",", p.rows("select events from raw_cdc.weir_cdc_offsets"));
    } catch (RuntimeException | AssertionError e) {
      return "-";
    }
  }

  private static List<String> rows(SharedMariaDb.Server m, String sql) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Connection c = m.connect(null); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      int cols = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= cols; i++) sb.append(i > 1 ? "|" : "").append(rs.getString(i));
        out.add(sb.toString());
      }
    }
    return out;
  }

  private static Process start(TestProject p, Path log, String fault, boolean untilCaughtUp) throws Exception {
    return untilCaughtUp ? command(p, log, fault, "cdc", "run", "--until-caught-up") : command(p, log, fault, "cdc", "run");
  }

  /** Starts {@code weir ARGS --project-dir DIR} as a child JVM on the test class path. */
  private static Process command(TestProject p, Path log, String fault, String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add(TestProject.childTmp(p.dir));
    cmd.add("-Xmx512m");
    cmd.add("-XX:+UseSerialGC");
    cmd.add("-XX:TieredStopAtLevel=1");
    if (fault != null) cmd.add("-Dweir.cdc.fault=" + fault);
    cmd.add("-cp");
    cmd.add(classPath(p.dir.getParent()));
    cmd.add(Main.class.getName());
    cmd.addAll(List.of(args));
    cmd.addAll(List.of("--project-dir", p.dir.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().clear();
    pb.environment().putAll(p.env);
    return pb.start();
  }

  private static String frozenClassPath;

  /**
   * The test class path with Weir's own jars copied aside once: other builds install new jars under a
   * long proof, and a child JVM started later would load classes from a jar replaced mid-way.
   */
  private static synchronized String classPath(Path dir) throws java.io.IOException {
    if (frozenClassPath != null) return frozenClassPath;
    Path copies = Files.createDirectories(dir.resolve("classpath"));
    List<String> out = new ArrayList<>();
    int i = 0;
    for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
      Path f = Path.of(e);
      if (e.endsWith(".jar") && e.contains("/dev/weir/") && Files.isRegularFile(f)) {
        Path c = copies.resolve((i++) + "-" + f.getFileName());
        Files.copy(f, c);
        out.add(c.toString());
      } else {
        out.add(e);
      }
    }
    return frozenClassPath = String.join(java.io.File.pathSeparator, out);
  }

  private static void waitForBatch(Process child, Path log) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline && child.isAlive()) {
      if (Files.exists(log) && Files.readString(log).contains(" batch ")) return;
      Thread.sleep(20);
    }
  }
}
