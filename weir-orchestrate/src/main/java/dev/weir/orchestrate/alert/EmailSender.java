package dev.weir.orchestrate.alert;

import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.Properties;

/** Sends an alert as a plain-text email over SMTP (Jakarta Mail, Eclipse Angus): subject the title, body the text. */
final class EmailSender implements Sender {
  private final List<String> to;
  private final String from;
  private final String user;
  private final String password;
  private final Session session;
  private final String host;

  /** {@code e} with every env_var reference already resolved. */
  EmailSender(AlertSpec.Email e, Duration timeout) {
    this.to = e.to();
    this.from = e.from();
    this.user = e.username();
    this.password = e.password();
    this.host = e.host() + ":" + e.port();
    Properties p = new Properties();
    String proto = e.ssl() ? "smtps" : "smtp";
    p.put("mail.transport.protocol", proto);
    p.put("mail." + proto + ".host", e.host());
    p.put("mail." + proto + ".port", String.valueOf(e.port()));
    p.put("mail." + proto + ".auth", String.valueOf(e.username() != null));
    p.put("mail." + proto + ".connectiontimeout", String.valueOf(timeout.toMillis()));
    p.put("mail." + proto + ".timeout", String.valueOf(timeout.toMillis()));
    p.put("mail." + proto + ".writetimeout", String.valueOf(timeout.toMillis()));
    if (e.starttls()) {
      p.put("mail.smtp.starttls.enable", "true");
      p.put("mail.smtp.starttls.required", "true");
    }
    if (e.ssl() || e.starttls()) p.put("mail." + proto + ".ssl.checkserveridentity", "true");
    this.session = Session.getInstance(p);
  }

  @Override
  public void send(Alert alert) throws MessagingException {
    MimeMessage m = new MimeMessage(session);
    m.setFrom(new InternetAddress(from));
    for (String a : to) m.addRecipient(Message.RecipientType.TO, new InternetAddress(a));
    m.setSubject(alert.title(), "UTF-8");
    m.setText(alert.text(), "UTF-8");
    m.setSentDate(Date.from(alert.at()));
    m.setHeader("X-Weir-Event", alert.event().key());
    try {
      if (user != null) Transport.send(m, user, password == null ? "" : password);
      else Transport.send(m);
    } catch (MessagingException e) {
      // keep the server's words but never the login
      throw new MessagingException("SMTP " + host + ": " + dev.weir.core.util.Secrets.mask(String.valueOf(e.getMessage())));
    }
  }

  @Override
  public String describe() { return "email to " + String.join(", ", to) + " via " + host; }
}
