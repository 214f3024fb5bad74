Feature: Duplicates — the same event may arrive more than once
  DevRev delivers at least once: an event can be delivered again because an
  earlier attempt timed out or failed on the way, or simply because the
  delivery system repeated it. A duplicate has the same event id and the
  same body. The receiver must acknowledge it like the first delivery (and
  process it at most once); refusing it, with 409 say, makes DevRev count a
  failure and retry it again.

  Rule: DUP-01 MUST — A duplicate delivery is acknowledged
    A duplicate delivery (same id, same body) is acknowledged with 2xx.

    @DUP-01 @must
    Scenario: the same event delivered twice, one after the other
      Given the receiver accepts a correctly signed work_created event
      When I send a correctly signed work_created event
      And I send the same event again
      Then the receiver acknowledges every one with 2xx

    @DUP-01 @must
    Scenario: the same event delivered three times at the same time
      Given the receiver accepts a correctly signed work_created event
      When I send the same correctly signed work_created event 3 times at the same time
      Then the receiver acknowledges every one with 2xx

  Rule: DUP-02 MUST — The retry of a failed attempt is acknowledged
    The retry of an attempt the receiver failed or let time out is
    acknowledged (with the original timestamp and signature, and re-stamped
    and re-signed as DevRev retries).

    @DUP-02 @must
    Scenario: the retry of an attempt cut off in the middle of its body
      The connection broke after half of the body was sent: the receiver saw
      an incomplete request, and DevRev sends the whole event again.

      Given the receiver accepts a correctly signed work_created event
      When a first attempt of a correctly signed work_created event is cut off after half of its body
      And after a short pause the same event is delivered again
      Then the receiver acknowledges it with 2xx

    @DUP-02 @must
    Scenario: the re-stamped retry of an attempt cut off in the middle of its body
      DevRev's retries are new invocations: the same event id and payload
      with a new timestamp and a new signature.

      Given the receiver accepts a correctly signed work_created event
      When a first attempt of a correctly signed work_created event is cut off after half of its body
      And after a short pause the same event is delivered again with a new timestamp and signature
      Then the receiver acknowledges it with 2xx

    @DUP-02 @must @slow
    Scenario: the retry of an attempt the sender gave up on
      The whole request reached the receiver, but the sender stopped waiting
      for the answer (as DevRev does after 3 seconds) and retries later. The
      receiver may have processed the first attempt; it must still
      acknowledge the retry.

      Given the receiver accepts a correctly signed work_created event
      When a first attempt of a correctly signed work_created event is abandoned right after the whole request was written
      And after a short pause the same event is delivered again
      Then the receiver acknowledges it with 2xx

    @DUP-02 @must @slow
    Scenario: the re-stamped retry of an attempt the sender gave up on
      The receiver may have processed the first attempt and remembered its
      id; the retry carries a new timestamp and signature, as DevRev's do.

      Given the receiver accepts a correctly signed work_created event
      When a first attempt of a correctly signed work_created event is abandoned right after the whole request was written
      And after a short pause the same event is delivered again with a new timestamp and signature
      Then the receiver acknowledges it with 2xx
