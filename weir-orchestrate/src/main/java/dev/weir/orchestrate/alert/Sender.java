package dev.weir.orchestrate.alert;

/** Delivers alerts to one target. Implementations are safe to call from several threads. */
interface Sender {
  /** Sends one alert, or throws why it could not (the message must not hold the target's secrets). */
  void send(Alert alert) throws Exception;

  /** The target as it may be shown in logs: its kind and scheme+host, or its recipients (never a secret). */
  String describe();
}
