package dev.weir.orchestrate.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weir.core.WeirException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.flywaydb.core.Flyway;

/**
 * The metadata store over JDBC: every statement of {@link MetadataStore}, shared by the embedded SQLite file
 * ({@link SqliteStore}, the default) and PostgreSQL ({@link PostgresStore}, for teams). The schema is the same on both,
 * created and upgraded by Flyway from versioned scripts: V1 per database (only the auto-increment of run ids differs),
 * V2 onwards shared ({@code dev/weir/orchestrate/db/migration}). One connection, used under this object's lock.
 *
 * <p>Fenced writes are single statements that compare the lease's token in the same statement; {@link #fenced()} is
 * that condition, which PostgreSQL evaluates with the lease row locked ({@code for share}) so that a takeover committed
 * while the statement runs is seen.
 */
public abstract class JdbcStore implements MetadataStore {
  /** The classpath folder of the shared migration scripts (V2 onwards); V1 lies in a folder per database. */
  public static final String MIGRATIONS = "classpath:dev/weir/orchestrate/db/migration";

  private static final ObjectMapper JSON = new ObjectMapper();
  private final String display;
  protected final Connection conn;
  private PreparedStatement putStepPs;
  private final String fenced;

  /**
   * @param display how messages name the store (a file, or a URL without credentials)
   * @param conn an open connection to a database whose schema {@link #migrate} brought up to date
   */
  protected JdbcStore(String display, Connection conn) {
    this.display = display;
    this.conn = conn;
    this.fenced = fenced();
  }

  /**
   * Brings the schema at {@code url} up to date with Flyway: the V1 script of {@code vendorFolder}, then the shared ones.
   *
   * @param schema the schema the tables live in (null: the connection's default)
   */
  protected static void migrate(String url, String user, String password, String vendorFolder, String schema, String display) {
    try {
      var cfg = Flyway.configure(JdbcStore.class.getClassLoader())
          .dataSource(url, user, password)
          .locations("classpath:dev/weir/orchestrate/db/" + vendorFolder, MIGRATIONS);
      if (schema != null) cfg = cfg.schemas(schema).defaultSchema(schema);
      cfg.load().migrate();
    } catch (RuntimeException e) {
      throw WeirException.runtime("Cannot bring the metadata store's schema up to date (" + display + "): " + e.getMessage(), e);
    }
  }

  /** The condition of fenced writes, with three parameters (resource, resource, token); see {@link #fence}. */
  protected String fenced() { return "(? is null or exists (select 1 from leases where resource = ? and token = ?))"; }

  @Override
  public long createRun(String pipeline, Instant intervalStart, Instant intervalEnd, Instant logicalDate, Map<String, Object> params,
      String trigger, String runKey, Long parentRunId, List<String> steps) {
    return createRun(pipeline, intervalStart, intervalEnd, logicalDate, params, trigger, runKey, parentRunId, steps, Map.of(), null);
  }

  @Override
  public synchronized long createRun(String pipeline, Instant intervalStart, Instant intervalEnd, Instant logicalDate,
      Map<String, Object> params, String trigger, String runKey, Long parentRunId, List<String> steps, Map<String, Integer> maxTries,
      Fence fence) {
    try {
      conn.setAutoCommit(false);
      long id;
      try (PreparedStatement ps = conn.prepareStatement("insert into pipeline_run (pipeline, interval_start, interval_end, logical_date, "
          + "params, state, run_trigger, run_key, parent_run_id, queued_at) select ?, ?, ?, ?, ?, ?, ?, ?, ?, ? where " + fenced,
          Statement.RETURN_GENERATED_KEYS)) {
        ps.setString(1, pipeline);
        ps.setString(2, text(intervalStart));
        ps.setString(3, text(intervalEnd));
        ps.setString(4, text(logicalDate));
        ps.setString(5, JSON.writeValueAsString(params));
        ps.setString(6, State.QUEUED.dbName());
        ps.setString(7, trigger);
        ps.setString(8, runKey);
        if (parentRunId == null) ps.setNull(9, Types.INTEGER);
        else ps.setLong(9, parentRunId);
        ps.setString(10, text(Instant.now()));
        fence(ps, 11, fence);
        if (ps.executeUpdate() == 0) {
          conn.rollback();
          return -1;
        }
        try (ResultSet rs = ps.getGeneratedKeys()) {
          rs.next();
          id = rs.getLong(1);
        }
      }
      try (PreparedStatement ps = conn.prepareStatement("insert into step_run (run_id, step, position, try_number, state, max_tries) values (?, ?, ?, 1, ?, ?)")) {
        for (int i = 0; i < steps.size(); i++) {
          ps.setLong(1, id);
          ps.setString(2, steps.get(i));
          ps.setInt(3, i);
          ps.setString(4, State.QUEUED.dbName());
          Integer mt = maxTries.get(steps.get(i));
          if (mt == null) ps.setNull(5, Types.INTEGER);
          else ps.setInt(5, mt);
          ps.addBatch();
        }
        ps.executeBatch();
      }
      conn.commit();
      return id;
    } catch (SQLException | JsonProcessingException e) {
      rollback();
      throw fail("recording a run of " + pipeline, e);
    } finally {
      autoCommit();
    }
  }

  private static void fence(PreparedStatement ps, int at, Fence f) throws SQLException {
    ps.setString(at, f == null ? null : f.resource());
    ps.setString(at + 1, f == null ? null : f.resource());
    if (f == null) ps.setNull(at + 2, Types.BIGINT);
    else ps.setLong(at + 2, f.token());
  }

  @Override
  public void updateRun(long runId, State state, Instant startedAt, Instant endedAt) { updateRun(runId, state, startedAt, endedAt, null); }

  @Override
  public synchronized boolean updateRun(long runId, State state, Instant startedAt, Instant endedAt, Fence fence) {
    try (PreparedStatement ps = conn.prepareStatement("update pipeline_run set state = ?, started_at = coalesce(?, started_at), "
        + "ended_at = coalesce(?, ended_at) where id = ? and " + fenced)) {
      ps.setString(1, state.dbName());
      ps.setString(2, text(startedAt));
      ps.setString(3, text(endedAt));
      ps.setLong(4, runId);
      fence(ps, 5, fence);
      return ps.executeUpdate() == 1;
    } catch (SQLException e) {
      throw fail("updating run " + runId, e);
    }
  }

  @Override
  public synchronized boolean reopenRun(long runId, Fence fence) {
    try (PreparedStatement ps = conn.prepareStatement("update pipeline_run set state = ?, ended_at = null where id = ? and " + fenced)) {
      ps.setString(1, State.QUEUED.dbName());
      ps.setLong(2, runId);
      fence(ps, 3, fence);
      return ps.executeUpdate() == 1;
    } catch (SQLException e) {
      throw fail("reopening run " + runId, e);
    }
  }

  @Override
  public void putStep(StepRun s) { putStep(s, null); }

  @Override
  public synchronized boolean putStep(StepRun s, Fence fence) {
    try {
      if (putStepPs == null) {
        // prepared once: the executor writes every step's start and end through it (10,000-step runs)
        putStepPs = conn.prepareStatement("insert into step_run (run_id, step, position, try_number, state, started_at, ended_at, "
            + "exit_code, error, log_path, max_tries) select ?, ?, coalesce((select min(position) from step_run where run_id = ? and step = ?), 0), "
            + "?, ?, ?, ?, ?, ?, ?, ? where " + fenced + " on conflict (run_id, step, try_number) do update set state = excluded.state, "
            + "started_at = excluded.started_at, ended_at = excluded.ended_at, exit_code = excluded.exit_code, "
            + "error = excluded.error, log_path = excluded.log_path, max_tries = coalesce(excluded.max_tries, step_run.max_tries)");
      }
      PreparedStatement ps = putStepPs;
      ps.clearParameters();
      ps.setLong(1, s.runId());
      ps.setString(2, s.step());
      ps.setLong(3, s.runId());
      ps.setString(4, s.step());
      ps.setInt(5, s.tryNumber());
      ps.setString(6, s.state().dbName());
      ps.setString(7, text(s.startedAt()));
      ps.setString(8, text(s.endedAt()));
      if (s.exitCode() == null) ps.setNull(9, Types.INTEGER);
      else ps.setInt(9, s.exitCode());
      ps.setString(10, s.error());
      ps.setString(11, s.logPath());
      if (s.maxTries() == null) ps.setNull(12, Types.INTEGER);
      else ps.setInt(12, s.maxTries());
      fence(ps, 13, fence);
      return ps.executeUpdate() == 1;
    } catch (SQLException e) {
      throw fail("recording step " + s.step() + " of run " + s.runId(), e);
    }
  }

  @Override
  public synchronized Optional<PipelineRun> runByKey(String runKey) {
    List<PipelineRun> r = queryRuns("select * from pipeline_run where run_key = ?", runKey);
    return r.isEmpty() ? Optional.empty() : Optional.of(r.get(0));
  }

  @Override
  public synchronized List<PipelineRun> keyedRuns(String pipeline) {
    return queryRuns("select * from pipeline_run where pipeline = ? and run_key is not null order by interval_start, id", pipeline);
  }

  @Override
  public synchronized List<PipelineRun> unfinishedRuns() {
    return queryRuns("select * from pipeline_run where state in ('queued', 'running') order by id");
  }

  @Override
  public synchronized Fence acquireLease(String resource, String owner, Instant now, java.time.Duration ttl) {
    try {
      conn.setAutoCommit(false);
      int n;
      try (PreparedStatement ps = conn.prepareStatement("insert into leases (resource, owner, token, expires_at) values (?, ?, 1, ?) "
          + "on conflict (resource) do update set owner = excluded.owner, token = leases.token + 1, expires_at = excluded.expires_at "
          + "where leases.expires_at <= ?")) {
        ps.setString(1, resource);
        ps.setString(2, owner);
        ps.setLong(3, now.plus(ttl).toEpochMilli());
        ps.setLong(4, now.toEpochMilli());
        n = ps.executeUpdate();
      }
      Fence f = null;
      if (n == 1) {
        try (PreparedStatement ps = conn.prepareStatement("select token from leases where resource = ? and owner = ?")) {
          ps.setString(1, resource);
          ps.setString(2, owner);
          try (ResultSet rs = ps.executeQuery()) {
            if (rs.next()) f = new Fence(resource, rs.getLong(1));
          }
        }
      }
      conn.commit();
      return f;
    } catch (SQLException e) {
      rollback();
      throw fail("taking the lease of " + resource, e);
    } finally {
      autoCommit();
    }
  }

  @Override
  public synchronized boolean renewLease(Fence fence, String owner, Instant now, java.time.Duration ttl) {
    try (PreparedStatement ps = conn.prepareStatement("update leases set expires_at = ? where resource = ? and owner = ? and token = ?")) {
      ps.setLong(1, now.plus(ttl).toEpochMilli());
      ps.setString(2, fence.resource());
      ps.setString(3, owner);
      ps.setLong(4, fence.token());
      return ps.executeUpdate() == 1;
    } catch (SQLException e) {
      throw fail("renewing the lease of " + fence.resource(), e);
    }
  }

  @Override
  public synchronized void releaseLease(Fence fence, String owner) {
    try (PreparedStatement ps = conn.prepareStatement("update leases set expires_at = 0 where resource = ? and owner = ? and token = ?")) {
      ps.setString(1, fence.resource());
      ps.setString(2, owner);
      ps.setLong(3, fence.token());
      ps.executeUpdate();
    } catch (SQLException e) {
      throw fail("releasing the lease of " + fence.resource(), e);
    }
  }

  @Override
  public synchronized Optional<Lease> lease(String resource) {
    try (PreparedStatement ps = conn.prepareStatement("select owner, token, expires_at from leases where resource = ?")) {
      ps.setString(1, resource);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) return Optional.empty();
        return Optional.of(new Lease(resource, rs.getString(1), rs.getLong(2), Instant.ofEpochMilli(rs.getLong(3))));
      }
    } catch (SQLException e) {
      throw fail("reading the lease of " + resource, e);
    }
  }

  @Override
  public synchronized boolean markAlertSent(String pipeline, String event, Instant intervalStart, Instant at) {
    try (PreparedStatement ps = conn.prepareStatement("insert into alert_sent (pipeline, event, interval_start, sent_at) values (?, ?, ?, ?) "
        + "on conflict (pipeline, event, interval_start) do nothing")) {
      ps.setString(1, pipeline);
      ps.setString(2, event);
      ps.setString(3, text(intervalStart));
      ps.setString(4, text(at));
      return ps.executeUpdate() == 1;
    } catch (SQLException e) {
      throw fail("recording the " + event + " alert of " + pipeline, e);
    }
  }

  @Override
  public synchronized boolean takePoolSlot(String pool, int slots, String holder, String owner, Instant now, java.time.Duration ttl) {
    try {
      conn.setAutoCommit(false);
      lockPool(pool);
      int n;
      try (PreparedStatement ps = conn.prepareStatement("insert into pool_slots (pool, holder, owner, expires_at) select ?, ?, ?, ? where "
          + "(select count(*) from pool_slots where pool = ? and holder <> ? and expires_at > ?) < ? "
          + "on conflict (pool, holder) do update set owner = excluded.owner, expires_at = excluded.expires_at")) {
        ps.setString(1, pool);
        ps.setString(2, holder);
        ps.setString(3, owner);
        ps.setLong(4, now.plus(ttl).toEpochMilli());
        ps.setString(5, pool);
        ps.setString(6, holder);
        ps.setLong(7, now.toEpochMilli());
        ps.setInt(8, slots);
        n = ps.executeUpdate();
      }
      conn.commit();
      return n == 1;
    } catch (SQLException e) {
      rollback();
      throw fail("taking a slot of pool " + pool, e);
    } finally {
      autoCommit();
    }
  }

  /**
   * Serializes slot takers of one pool inside the current transaction. SQLite needs nothing (the conditional insert is
   * one statement under its single write lock); PostgreSQL locks the pool's row in {@code pool_locks}.
   */
  protected void lockPool(String pool) throws SQLException {}

  @Override
  public synchronized void releasePoolSlot(String pool, String holder) {
    try (PreparedStatement ps = conn.prepareStatement("delete from pool_slots where pool = ? and holder = ?")) {
      ps.setString(1, pool);
      ps.setString(2, holder);
      ps.executeUpdate();
    } catch (SQLException e) {
      throw fail("giving back a slot of pool " + pool, e);
    }
  }

  @Override
  public synchronized void renewPoolSlots(String owner, Instant now, java.time.Duration ttl) {
    try (PreparedStatement ps = conn.prepareStatement("update pool_slots set expires_at = ? where owner = ?")) {
      ps.setLong(1, now.plus(ttl).toEpochMilli());
      ps.setString(2, owner);
      ps.executeUpdate();
    } catch (SQLException e) {
      throw fail("renewing pool slots", e);
    }
  }

  @Override
  public synchronized Optional<PipelineRun> run(long runId) {
    List<PipelineRun> r = queryRuns("select * from pipeline_run where id = ?", runId);
    return r.isEmpty() ? Optional.empty() : Optional.of(r.get(0));
  }

  @Override
  public synchronized List<PipelineRun> runs(String pipeline, int limit) {
    if (pipeline == null) return queryRuns("select * from pipeline_run order by id desc limit ?", limit);
    return queryRuns("select * from pipeline_run where pipeline = ? order by id desc limit ?", pipeline, limit);
  }

  @Override
  public synchronized List<StepRun> steps(long runId) {
    List<StepRun> out = new ArrayList<>();
    try (PreparedStatement ps = conn.prepareStatement("select * from step_run where run_id = ? order by position, step, try_number")) {
      ps.setLong(1, runId);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          int exit = rs.getInt("exit_code");
          Integer exitCode = rs.wasNull() ? null : exit;
          out.add(new StepRun(rs.getLong("run_id"), rs.getString("step"), rs.getInt("try_number"), State.of(rs.getString("state")),
              instant(rs.getString("started_at")), instant(rs.getString("ended_at")), exitCode, rs.getString("error"),
              rs.getString("log_path"), maxTries(rs)));
        }
      }
    } catch (SQLException e) {
      throw fail("reading the steps of run " + runId, e);
    }
    return out;
  }

  private List<PipelineRun> queryRuns(String sql, Object... args) {
    List<PipelineRun> out = new ArrayList<>();
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) ps.setObject(i + 1, args[i]);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          long parent = rs.getLong("parent_run_id");
          Long parentId = rs.wasNull() ? null : parent;
          Map<String, Object> params = JSON.readValue(rs.getString("params"), new TypeReference<LinkedHashMap<String, Object>>() {});
          out.add(new PipelineRun(rs.getLong("id"), rs.getString("pipeline"), instant(rs.getString("interval_start")),
              instant(rs.getString("interval_end")), instant(rs.getString("logical_date")), params, State.of(rs.getString("state")),
              rs.getString("run_trigger"), rs.getString("run_key"), parentId, instant(rs.getString("queued_at")),
              instant(rs.getString("started_at")), instant(rs.getString("ended_at"))));
        }
      }
    } catch (SQLException | JsonProcessingException e) {
      throw fail("reading runs", e);
    }
    return out;
  }

  private static Integer maxTries(ResultSet rs) throws SQLException {
    int m = rs.getInt("max_tries");
    return rs.wasNull() ? null : m;
  }

  private static String text(Instant i) { return i == null ? null : i.toString(); }

  private static Instant instant(String s) { return s == null ? null : Instant.parse(s); }

  private WeirException fail(String what, Exception e) {
    return WeirException.runtime("Metadata store " + display + ": error " + what + ": " + e.getMessage(), e);
  }

  private void rollback() {
    try {
      conn.rollback();
    } catch (SQLException ignored) {
      // the original error is the one to report
    }
  }

  private void autoCommit() {
    try {
      conn.setAutoCommit(true);
    } catch (SQLException ignored) {
      // next statement will report a broken connection
    }
  }

  @Override
  public synchronized void close() {
    try {
      conn.close();
    } catch (SQLException ignored) {
      // closing: nothing left to do
    }
  }
}
