package dev.weir.core.engine;

import java.util.Objects;

/**
 * A relation in the warehouse: database (catalog), schema and identifier, with its kind when known.
 * Names are stored as written; the engine's {@link Dialect} decides quoting and case.
 */
public record Relation(String database, String schema, String identifier, RelationType type) {
  public Relation {
    Objects.requireNonNull(identifier, "identifier is null");
    if (type == null) type = RelationType.UNKNOWN;
  }

  public static Relation of(String database, String schema, String identifier) {
    return new Relation(database, schema, identifier, RelationType.UNKNOWN);
  }

  public Relation withIdentifier(String newIdentifier) {
    return new Relation(database, schema, newIdentifier, type);
  }

  public Relation withType(RelationType newType) {
    return new Relation(database, schema, identifier, newType);
  }

  public boolean sameName(Relation other) {
    return other != null
        && eq(database, other.database) && eq(schema, other.schema) && identifier.equalsIgnoreCase(other.identifier);
  }

  private static boolean eq(String a, String b) {
    return a == null ? b == null : b != null && a.equalsIgnoreCase(b);
  }
}
