package dev.weir.cdc;

import dev.weir.core.engine.Engine;
import dev.weir.core.engine.QueryResult;
import dev.weir.core.engine.Relation;
import dev.weir.core.engine.Session;
import dev.weir.core.util.Secrets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;

/** {@code weir cdc status}: what the warehouse applied of a source, and the replication slot's lag if the source answers. */
public final class CdcStatus {
  /**
   * One source's status.
   *
   * @param source      the source's name
   * @param slot        the replication slot
   * @param lsn         the last applied change's LSN (null: nothing applied)
   * @param lastCommit  the source commit time of the last applied change (UTC, or null)
   * @param appliedAt   when the warehouse last committed a batch (or null)
   * @param changes     changes applied so far
   * @param historyRows rows written to history tables so far
   * @param slotActive  whether a process reads the slot (null: unknown)
   * @param lagBytes    WAL bytes the slot holds back (null: unknown)
   * @param slotNote    why the slot is unknown, or null
   */
  public record Row(String source, String slot, String lsn, String lastCommit, String appliedAt, long changes, long historyRows,
                    Boolean slotActive, Long lagBytes, String slotNote) {}

  private CdcStatus() {}

  /** The status of {@code spec}; {@code engine} null when the warehouse cannot be opened (then only the slot is read). */
  public static Row of(Engine engine, CdcSpec spec) {
    String lsn = null;
    String binlogLsn = null;
    String lastCommit = null;
    String appliedAt = null;
    long changes = 0;
    long hist = 0;
    if (engine != null) try (Session s = engine.openSession()) {
      Relation off = Relation.of(engine.defaultDatabase(), spec.targetSchema(), CdcApplier.OFFSETS_TABLE);
      if (s.getRelation(off.database(), off.schema(), off.identifier()).isPresent()) {
        QueryResult r = s.query("select lsn, last_commit_ts, applied_at, events, history_rows, commit_lsn from " + s.dialect().render(off)
            + " where source = " + s.dialect().stringLiteral(spec.name()), -1);
        if (!r.rows().isEmpty()) {
          List<Object> row = r.rows().get(0);
          lsn = row.get(0) == null ? null : CdcRunner.lsnText(((Number) row.get(0)).longValue());
          binlogLsn = row.get(0) == null || row.get(5) == null ? null
              : "binlog " + CdcRunner.binlogText(((Number) row.get(5)).longValue(), ((Number) row.get(0)).longValue());
          lastCommit = row.get(1) == null ? null : String.valueOf(row.get(1));
          appliedAt = row.get(2) == null ? null : String.valueOf(row.get(2));
          changes = row.get(3) == null ? 0 : ((Number) row.get(3)).longValue();
          hist = row.get(4) == null ? 0 : ((Number) row.get(4)).longValue();
        }
      }
    }
    Boolean active = null;
    Long lag = null;
    String note = null;
    if (spec.binlog()) {
      String slot = "server_id " + spec.serverId();
      try (Connection c = DriverManager.getConnection(CdcRunner.jdbcUrl(spec), spec.user(), spec.password())) {
        long[] end = CdcRunner.binlogEnd(c);
        note = "binlog end " + end[0] + ":" + end[1];
      } catch (SQLException e) {
        note = "source unreachable: " + Secrets.mask(String.valueOf(e.getMessage()));
      }
      return new Row(spec.name(), slot, binlogLsn, lastCommit, appliedAt, changes, hist, null, null, note);
    }
    try (Connection c = DriverManager.getConnection(CdcRunner.jdbcUrl(spec), spec.user(), spec.password());
         PreparedStatement ps = c.prepareStatement("select active, pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint"
             + " from pg_replication_slots where slot_name = ?")) {
      ps.setString(1, spec.slot());
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          active = rs.getBoolean(1);
          lag = rs.getObject(2) == null ? null : rs.getLong(2);
        } else {
          note = "no slot " + spec.slot() + " (created by the first 'weir cdc run')";
        }
      }
    } catch (SQLException e) {
      note = "source unreachable: " + Secrets.mask(String.valueOf(e.getMessage()));
    }
    return new Row(spec.name(), spec.slot(), lsn, lastCommit, appliedAt, changes, hist, active, lag, note);
  }
}
