Feature: Verify — the endpoint proves it answers for the webhook
  After a webhook is created, or its URL or secret changes, DevRev POSTs a
  signed event of type "verify" that carries a random challenge:

    {"id": "…", "timestamp": "…", "webhook_id": "…",
     "type": "verify", "verify": {"challenge": "P7fz…"}}

  The endpoint must answer 200 with the JSON body {"challenge": "P7fz…"},
  the challenge copied exactly. DevRev gives up on an answer after 3 seconds
  (revhook check --timeout changes the deadline). Until the endpoint answers
  correctly the webhook stays unverified and receives no other event.

  Rule: VER-01 MUST — A verify event is answered with its challenge
    A signed `verify` event gets `200` and a JSON body `{"challenge": X}`
    with X exactly the challenge sent (varied lengths and characters).

    @VER-01 @must
    Scenario Outline: a challenge of <length> characters is echoed exactly
      DevRev's challenges are 37 characters today; nothing promises it stays so.

      When I send a signed verify event with a random challenge of <length> characters
      Then the receiver answers 200 with the same challenge as JSON

      Examples:
        | length |
        | 1      |
        | 8      |
        | 37     |
        | 64     |
        | 128    |
        | 256    |

    @VER-01 @must
    Scenario Outline: a challenge holding <kind> is echoed exactly
      The challenge is a JSON string: whatever it holds must come back equal
      after JSON decoding, however the receiver chooses to escape it.

      When I send a signed verify event with the challenge "<challenge>"
      Then the receiver answers 200 with the same challenge as JSON

      Examples:
        | kind                       | challenge                         |
        | spaces                     | a challenge with spaces           |
        | a quote and a backslash    | quote " and backslash \\ end      |
        | HTML special characters    | <script>&amp;'x'</script>         |
        | accents and symbols        | café ✓ Ωmega €                    |
        | an emoji outside the BMP   | 🚀 launch                         |
        | URL syntax                 | a/b%2Fc?d=e#f                     |
        | a newline                  | line one\nline two                |
        | non-Latin scripts          | 中文字符 العربية ελληνικά            |

  Rule: VER-02 MUST — The verify answer arrives within 3 s
    The verify answer arrives within 3 s.

    @VER-02 @must
    Scenario: the verify answer arrives within the deadline
      When I send a signed verify event with a random challenge of 37 characters
      Then the receiver answers within the deadline

  Rule: VER-03 SHOULD — The verify answer is JSON
    The verify answer has `Content-Type: application/json`.

    @VER-03 @should
    Scenario: the verify answer is labelled as JSON
      Given the receiver answers a correctly signed verify event with its challenge
      When I send a signed verify event with a random challenge of 37 characters
      Then the answer has the content type application/json

  Rule: VER-04 SHOULD — A badly signed verify event does not get the challenge
    A `verify` event with a bad signature is not answered with the
    challenge.

    @VER-04 @should
    Scenario Outline: a verify event signed with <variant> does not get the challenge
      Echoing the challenge of a badly signed verify lets anyone register the
      endpoint for a webhook that is not theirs.

      Given the receiver answers a correctly signed verify event with its challenge
      When I send a verify event signed with <variant>
      Then the answer does not contain the challenge

      Examples:
        | variant            |
        | a random signature |
        | another secret     |

    @VER-04 @should
    Scenario: a verify event without a signature does not get the challenge
      Given the receiver answers a correctly signed verify event with its challenge
      When I send a verify event without the X-DevRev-Signature header
      Then the answer does not contain the challenge
