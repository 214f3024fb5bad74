Feature: Signatures — only events signed with the webhook's secret are accepted
  DevRev signs every delivery. The X-DevRev-Signature header holds the
  HMAC-SHA256 of the raw request body, keyed with the webhook's secret,
  written as lowercase hex (base64 on receivers configured for it; revhook
  check detects which one the receiver accepts and uses it throughout).

  A receiver must compute the HMAC over the exact bytes it received, before
  parsing them, compare the whole value in constant time, and refuse the
  event (401 or 403) when it does not match.

  Every scenario first sends its control: the same event correctly signed,
  with its own event id. A receiver that refuses the control proves nothing
  by refusing a bad signature: the scenario is blocked by SIG-01 (or by
  ACK-01 when the control got no answer in time), never passed or blamed.

  Rule: SIG-01 MUST — A correctly signed event is acknowledged
    A correctly signed event is acknowledged with 2xx.

    @SIG-01 @must
    Scenario: a correctly signed event is acknowledged
      SIG-01 judges the answer's status; how long it took is ACK-01's, and
      other event types are ACK-03's.

      When I send a correctly signed work_created event
      Then the receiver acknowledges it with 2xx

  Rule: SIG-02 MUST — An event with a wrong signature is refused
    An event with a wrong signature is refused (non-2xx; 401/403 expected).

    @SIG-02 @must
    Scenario Outline: an event signed with <variant> is refused
      Given the receiver accepts a correctly signed work_created event
      When I send a work_created event signed with <variant>
      Then the receiver refuses it

      Examples:
        | variant                                     |
        | a random signature                          |
        | the signature of another body               |
        | a random signature behind a sha256= prefix  |

  Rule: SIG-03 MUST — An event without a signature is refused
    An event without `X-DevRev-Signature` is refused.

    @SIG-03 @must
    Scenario: an event without the signature header is refused
      Given the receiver accepts a correctly signed work_created event
      When I send a work_created event without the X-DevRev-Signature header
      Then the receiver refuses it

    @SIG-03 @must
    Scenario: an event with an empty signature header is refused
      Given the receiver accepts a correctly signed work_created event
      When I send a work_created event with an empty X-DevRev-Signature header
      Then the receiver refuses it

  Rule: SIG-04 MUST — An event whose body changed after signing is refused
    An event whose body changed after signing (one byte) is refused.

    @SIG-04 @must
    Scenario Outline: an event whose body changed after signing is refused (<change>)
      Given the receiver accepts a correctly signed work_created event
      When I sign a work_created event and then <change> before sending it
      Then the receiver refuses it

      Examples:
        | change                                  |
        | change one character of its title       |
        | change one digit of its timestamp       |
        | change one character of its id          |

    @SIG-04 @must
    Scenario: an accepted event's signature on a changed body is refused
      A receiver that remembers the signatures it already verified, to skip
      hashing repeated deliveries, accepts any body sent under one of them.
      The changed body has its own event id, so a receiver's deduplication
      cannot answer for its signature check.

      Given the receiver accepts a correctly signed work_created event
      When I send the accepted event's signature with its body changed, after I change one character of its title
      Then the receiver refuses it

  Rule: SIG-05 MUST — The signature is checked over the raw body bytes
    The signature is checked over the raw bytes: correctly signed bodies
    with unusual whitespace, key order, escaped unicode or large numbers are
    accepted.

    @SIG-05 @must
    Scenario Outline: a correctly signed body written with <style> is accepted
      DevRev's bytes are what was signed. A receiver that parses the JSON and
      serialises it again before checking the signature gets different bytes
      and wrongly refuses these events.

      Given the receiver accepts a correctly signed work_created event
      When I send a correctly signed work_created event written with <style>
      Then the receiver acknowledges it with 2xx

      Examples:
        | style                                         |
        | indentation, tabs and spaces around the colons |
        | a trailing newline                            |
        | its keys in reverse order                     |
        | escaped unicode                               |
        | large numbers                                 |

  Rule: SIG-06 MUST — An event signed with another secret is refused
    An event signed with another secret (e.g. the one before a rotation) is
    refused.

    @SIG-06 @must
    Scenario Outline: an event signed with <variant> is refused
      A secret rotation leaves the old secret in the hands of whoever had it;
      events signed with it must stop being accepted.

      Given the receiver accepts a correctly signed work_created event
      When I send a work_created event signed with <variant>
      Then the receiver refuses it

      Examples:
        | variant                                      |
        | another secret                               |
        | the secret with its last character changed   |

  Rule: SIG-07 MUST — A truncated, prefix-only or suffixed signature is refused
    A truncated, prefix-only or suffixed (correct signature + extra
    characters) signature is refused.

    @SIG-07 @must
    Scenario Outline: an event signed with <variant> is refused
      A receiver that compares only as many characters as it was given, or
      only a prefix, can be fooled by guessing a few characters; one whose
      decoder ignores trailing garbage accepts a correct signature with junk
      after it.

      Given the receiver accepts a correctly signed work_created event
      When I send a work_created event signed with <variant>
      Then the receiver refuses it

      Examples:
        | variant                                          |
        | the correct signature without its last character |
        | the first half of the correct signature          |
        | the first 8 characters of the correct signature  |
        | the correct signature with junk appended         |
