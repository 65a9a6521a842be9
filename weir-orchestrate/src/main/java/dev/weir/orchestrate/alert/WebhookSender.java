package dev.weir.orchestrate.alert;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** POSTs an alert as JSON: the plain body ({@link Alert#json()}) or a Slack-compatible one ({@link Alert#slack()}). */
final class WebhookSender implements Sender {
  private final HttpClient http;
  private final URI uri;
  private final boolean slack;
  private final Duration timeout;

  WebhookSender(HttpClient http, String url, boolean slack, Duration timeout) {
    this.http = http;
    this.uri = URI.create(url.trim());
    this.slack = slack;
    this.timeout = timeout;
  }

  @Override
  public void send(Alert alert) throws IOException, InterruptedException {
    String body = slack ? alert.slack() : alert.json();
    HttpRequest req = HttpRequest.newBuilder(uri).timeout(timeout)
        .header("Content-Type", "application/json; charset=utf-8")
        .header("User-Agent", "weir-alerts")
        .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build();
    HttpResponse<String> resp;
    try {
      resp = http.send(req, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      // the client's messages may quote the address; say what failed without it
      throw new IOException("cannot reach " + AlertParser.masked(uri.toString()) + " (" + e.getClass().getSimpleName() + ")");
    }
    if (resp.statusCode() < 200 || resp.statusCode() >= 300) {
      String text = resp.body() == null ? "" : resp.body().strip();
      throw new IOException("HTTP status " + resp.statusCode() + (text.isEmpty() ? "" : ": " + (text.length() > 200 ? text.substring(0, 200) : text)));
    }
  }

  @Override
  public String describe() { return (slack ? "slack " : "webhook ") + AlertParser.masked(uri.toString()); }
}
