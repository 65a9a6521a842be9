package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
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
 * The CDC exactly-once proof: a generator applies N mixed inserts, updates and deletes (in
 * transactions of 1–20 changes, several changes of one key in one transaction among them) to a
 * Postgres table whose trigger keeps an audit table of every row change, while {@code weir cdc run}
 * runs in a real child JVM that is SIGKILLed at random moments five times and halted at each named
 * fault point inside the warehouse transaction, restarted each time (and stopped once with SIGTERM). At the end the warehouse table
 * equals the source table row for row, and the history table holds exactly the audit table's
 * changes, in the same order. N is 20,000 here ({@code -Dweir.cdc.proof.n=100000} for the full proof).
 */
class CdcExactlyOnceTest {
  private static final String COLS = "id, name, cast(balance as varchar), version";
  private static final int FAULT_CHUNK = 1500;

  @Test
  void killedAndFaultedAtEveryPointCdcNeitherLosesNorDoublesAChange(@TempDir Path dir) throws Exception {
    int n = Integer.getInteger("weir.cdc.proof.n", 20_000);
    Path work = Path.of("target", "embedded-pg").toAbsolutePath();
    Files.createDirectories(work);
    List<String> history = new ArrayList<>();
    long t0 = System.nanoTime();
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder()
        .setOverrideWorkingDirectory(work.toFile())
        .setDataDirectory(dir.resolve("pgdata"))
        .setCleanDataDirectory(true)
        .setServerConfig("wal_level", "logical")
        .start()) {
      List<Process> children = new ArrayList<>();
      try {
        sql(pg, "create table public.accounts (id int primary key, name text, balance numeric(12,2), version int)",
            "alter table public.accounts replica identity full",
            "insert into public.accounts select g, 'init' || g, g * 0.25, 0 from generate_series(1, 1000) g",
            "create table public.accounts_audit (audit_id bigserial primary key, op char(1), id int, name text, balance numeric(12,2), version int)",
            """
            create function public.audit_accounts() returns trigger language plpgsql as $$
            begin
              if tg_op = 'DELETE' then
                insert into public.accounts_audit (op, id, name, balance, version) values ('d', old.id, old.name, old.balance, old.version);
                return old;
              end if;
              insert into public.accounts_audit (op, id, name, balance, version)
                values (case tg_op when 'INSERT' then 'c' else 'u' end, new.id, new.name, new.balance, new.version);
              return new;
            end $$""",
            "create trigger accounts_audit after insert or update or delete on public.accounts for each row execute function public.audit_accounts()");

        TestProject proj = TestProject.create(dir.resolve("project"), "cdcproof", "");
        proj.env.put("CDC_PASSWORD", "unused");
        proj.file("cdc/shop.yml", """
            cdc:
              - name: shop
                host: localhost
                port: %d
                database: postgres
                user: postgres
                password: "{{ env_var('CDC_PASSWORD') }}"
                tables: [public.accounts]
                target_schema: raw_cdc
                history: true
                max_batch: 500
            """.formatted(pg.getPort()));

        // the initial snapshot first (a capture killed inside its snapshot takes a new one: changes made meanwhile
        // reach the current table but appear in history only as snapshot rows)
        Path first = dir.resolve("run-snapshot.log");
        Process snap = start(proj, first, null, true);
        children.add(snap);
        assertThat(snap.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(snap.exitValue()).as(Files.readString(first)).isEqualTo(0);
        history.add("snapshot: " + applied(proj) + " at " + (System.nanoTime() - t0) / 1_000_000 + " ms");

        Generator gen = new Generator(pg.getPostgresDatabase().getConnection(), 1000);
        int background = n - 4 * FAULT_CHUNK;
        AtomicReference<Throwable> genFailure = new AtomicReference<>();
        // paced to run through the kills (about 35 s), so that every kill lands while changes flow
        long pause = Math.max(15, 35_000L * 250 / Math.max(background, 1));
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

        Random rnd = new Random(7);
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
        // SIGTERM: the batch in hand is committed, the command exits 0
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
        assertThat(child.waitFor(180, TimeUnit.SECONDS)).isTrue();
        assertThat(child.exitValue()).as(Files.readString(last)).isEqualTo(0);
        history.add("final at " + (System.nanoTime() - t0) / 1_000_000 + " ms: " + Files.readString(last).lines()
            .filter(l -> l.contains("Stopped after")).findFirst().orElse(""));
        gen.close();
        System.out.println("final run's output:\n" + Files.readString(last));
        System.out.println("CDC exactly-once proof (n=" + n + "): " + history);
        assertThat(realKills).as("kills that hit a running capture: %s", history).isGreaterThanOrEqualTo(5);

        // the warehouse table equals the source table, row for row
        List<String> source = rows(pg, "select " + COLS + " from public.accounts order by id");
        assertThat(proj.rows("select " + COLS + " from raw_cdc.accounts order by id")).isEqualTo(source);
        // the history holds exactly the audited changes, in the same order (plus the snapshot's rows)
        List<String> audit = rows(pg, "select op, " + COLS + " from public.accounts_audit order by audit_id");
        assertThat(audit).hasSize(n);
        List<String> hist = proj.rows("select _weir_op, " + COLS + " from raw_cdc.accounts_history where _weir_op <> 'r' order by _weir_seq");
        assertThat(hist.size()).as("history rows vs audit rows").isEqualTo(audit.size());
        assertThat(hist).isEqualTo(audit);
        assertThat(proj.rows("select count(*) from raw_cdc.accounts_history where _weir_op = 'r'")).containsExactly("1000");
        assertThat(proj.rows("select count(*), count(distinct _weir_seq) from raw_cdc.accounts_history"))
            .containsExactly((n + 1000) + "|" + (n + 1000));
        assertThat(proj.rows("select events, history_rows from raw_cdc.weir_cdc_offsets where source = 'shop'"))
            .containsExactly((n + 1000) + "|" + (n + 1000));
        // status reads the warehouse and the slot
        // (in a child JVM too: other builds replace this JVM's jars under it while the proof runs)
        Path statusLog = dir.resolve("status.log");
        Process status = command(proj, statusLog, null, "cdc", "status");
        assertThat(status.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String st = Files.readString(statusLog);
        assertThat(status.exitValue()).as(st).isEqualTo(0);
        assertThat(st).contains("shop").contains(String.valueOf(n + 1000)).contains("weir_shop").contains("inactive");
        System.out.println(st);
      } finally {
        for (Process p : children) {
          p.destroyForcibly();
          p.waitFor(30, TimeUnit.SECONDS);
        }
        sql(pg, "select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = 'weir_shop'",
            "drop publication if exists weir_shop");
      }
    }
  }

  /** Applies random changes in transactions on one connection: their commit order is the audit table's order. */
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
      try (PreparedStatement ins = c.prepareStatement("insert into public.accounts values (?, ?, ?, 0)");
           PreparedStatement upd = c.prepareStatement("update public.accounts set name = ?, balance = balance + ?, version = version + 1 where id = ?");
           PreparedStatement del = c.prepareStatement("delete from public.accounts where id = ?")) {
        int left = count;
        while (left > 0) {
          int tx = Math.min(left, 1 + rnd.nextInt(20));
          for (int i = 0; i < tx; i++) {
            int r = rnd.nextInt(100);
            if (live.isEmpty() || r < 40) {
              int id = nextId++;
              ins.setInt(1, id);
              ins.setString(2, "n" + rnd.nextInt(1_000_000));
              ins.setBigDecimal(3, java.math.BigDecimal.valueOf(rnd.nextInt(1_000_000), 2));
              ins.executeUpdate();
              live.add(id);
            } else if (r < 85) {
              // often the same few keys: several updates of one key land in one transaction and one batch
              int id = live.get(r < 60 ? rnd.nextInt(Math.min(live.size(), 20)) : rnd.nextInt(live.size()));
              upd.setString(1, "u" + rnd.nextInt(1_000_000));
              upd.setBigDecimal(2, java.math.BigDecimal.valueOf(rnd.nextInt(10_000), 2));
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

  private static void sql(EmbeddedPostgres pg, String... statements) throws SQLException {
    try (Connection c = pg.getPostgresDatabase().getConnection(); Statement st = c.createStatement()) {
      for (String s : statements) st.execute(s);
    }
  }

  private static List<String> rows(EmbeddedPostgres pg, String sql) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Connection c = pg.getPostgresDatabase().getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      int cols = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= cols; i++) sb.append(i > 1 ? "|" : "").append(rs.getString(i));
        out.add(sb.toString());
      }
    }
    return out;
  }

  /** Starts {@code weir cdc run} as a child JVM on the test class path. */
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
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Main.class.getName());
    cmd.addAll(List.of(args));
    cmd.addAll(List.of("--project-dir", p.dir.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().clear();
    pb.environment().putAll(p.env);
    return pb.start();
  }

  private static void waitForBatch(Process child, Path log) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline && child.isAlive()) {
      if (Files.exists(log) && Files.readString(log).contains(" batch ")) return;
      Thread.sleep(20);
    }
  }
}
