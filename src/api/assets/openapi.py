# Generates openapi.json: python3 src/api/assets/openapi.py > src/api/assets/openapi.json
import json
def ref(n): return {"$ref": "#/components/schemas/" + n}
def body(schema, example=None):
    c = {"schema": schema}
    if example is not None: c["example"] = example
    return {"required": True, "content": {"application/json": c}}
def resp(desc, schema=None):
    r = {"description": desc}
    if schema: r["content"] = {"application/json": {"schema": schema}}
    return r
ERR = {"400": resp("Invalid request; msg names the field", ref("Error")),
       "401": resp("Missing or wrong token", ref("Error")),
       "500": resp("Internal error", ref("Error")),
       "503": resp("Storage unavailable", ref("Error"))}
def op(summary, desc, req=None, ok=None, extra=None, tags=None, params=None, public=False):
    o = {"summary": summary, "description": desc, "responses": {"200": ok or resp("OK", ref("Ok"))}}
    o["responses"].update({} if public else ERR)
    if extra: o["responses"].update(extra)
    if req: o["requestBody"] = req
    if tags: o["tags"] = tags
    if params: o["parameters"] = params
    if public: o["security"] = []
    return o
def q(name, desc, typ="string", required=False):
    return {"name": name, "in": "query", "required": required, "description": desc, "schema": {"type": typ}}
S = lambda **p: {"type": "object", "properties": p}
STR = {"type": "string"}; INT = {"type": "integer"}; I64 = {"type": "integer", "format": "int64"}
FLAG = {"type": "integer", "enum": [0, 1]}
UIDS = {"type": "array", "items": STR}
channel_props = dict(channel_id=STR, channel_type=INT)
member_body = lambda field: body(S(**channel_props, **{field: UIDS}))
paths = {}
def add(path, method, o): paths.setdefault(path, {})[method] = o
M = ["Messages"]; C = ["Channels"]; U = ["Users"]; O = ["Operations"]; D = ["Deprecated"]; CL = ["Cluster"]
V = ["Conversations"]; W = ["Webhooks"]; ST = ["Streams"]
add("/message/send", "post", op("Send a message",
    "Stores the message (unless header.no_persist) and answers only after it is durable. Retries with the same (channel, from_uid, client_msg_no) return the original ids and store nothing. With stream_no (see Streams): appends payload as the next chunk of that stream and answers with the anchor's message_id and message_seq plus stream_no and stream_seq; a retried chunk (same client_msg_no in the same stream) is stored once.",
    body(ref("SendRequest"), {"header": {"red_dot": 1}, "from_uid": "user123", "channel_id": "group123", "channel_type": 2, "payload": "SGVsbG8gV29ybGQ="}),
    resp("Stored", ref("SendResult")),
    {"403": resp("Channel banned or disbanded (reason_code 19 / 24)", ref("Error")),
     "404": resp("stream_no names no stream", ref("Error")),
     "413": resp("Payload over message.maxPayloadBytes", ref("Error"))}, M))
add("/message/sendbatch", "post", op("Send several messages",
    "Body form A: an array of send bodies; the answer is an array of results in the same order (refused items carry status, msg, reason_code in place). Any invalid item makes the whole call a 400 with `index`. Body form B (WuKongIM v2): {header, from_uid, subscribers, payload} sends one person message to each uid and answers {fail_uids, reason}.",
    body({"oneOf": [{"type": "array", "items": ref("SendRequest")}, S(header=ref("Header"), from_uid=STR, subscribers=UIDS, payload=STR)]}),
    resp("Results", {"oneOf": [{"type": "array", "items": {"oneOf": [ref("SendResult"), ref("Error")]}}, S(fail_uids=UIDS, reason=UIDS)]}),
    {"413": resp("More than message.maxBatch items", ref("Error"))}, M))
add("/messages", "post", op("Get messages by seq, id or client_msg_no",
    "The union of the three lists (at least one non-empty, at most 1000 keys), each message once, newest first. Person channels need login_uid.",
    body(S(login_uid=STR, **channel_props, message_seqs={"type": "array", "items": INT}, message_ids={"type": "array", "items": I64}, client_msg_nos=UIDS, stream_v2=FLAG)),
    resp("Messages", {"type": "array", "items": ref("Message")}), None, M))
add("/message", "post", op("Get one message",
    "By message_id or client_msg_no within the channel.",
    body(S(login_uid=STR, **channel_props, message_id=I64, client_msg_no=STR, stream_v2=FLAG)),
    resp("The message", ref("Message")), {"404": resp("No such message (or expired)", ref("Error"))}, M))
add("/channel/messagesync", "post", op("Sync a channel's messages",
    "start_message_seq inclusive, end_message_seq exclusive, 0 = unbounded; end <= start (both set) is an empty range. Both 0: the newest `limit`. pull_mode 0: upward from start; 1: downward from end. Messages ascend by seq; more = 1 when further messages exist in that direction.",
    body(S(login_uid=STR, **channel_props, start_message_seq=INT, end_message_seq=INT, limit=INT, pull_mode=FLAG, stream_v2=FLAG)),
    resp("A page", S(start_message_seq=INT, end_message_seq=INT, more=FLAG, messages={"type": "array", "items": ref("Message")})), None, M))
add("/channel/max_message_seq", "get", op("A channel's newest message_seq",
    "0 for an empty or unknown channel.", None, resp("Max seq", S(message_seq=INT)), None, M,
    [q("channel_id", "channel id", required=True), q("channel_type", "channel type", "integer", True), q("login_uid", "needed for person channels")]))
add("/cluster/messages", "get", op("Search messages",
    "Filters combine; results newest first; total counts every match.", None,
    resp("A page", S(data={"type": "array", "items": ref("Message")}, total=INT)),
    {"404": resp("node_id names no node", ref("Error"))}, M,
    [q("node_id", "0 = all nodes", "integer"), q("from_uid", "sender"), q("channel_id", "channel"), q("channel_type", "channel type", "integer"),
     q("limit", "default 20, at most 1000", "integer"), q("offset_message_id", "exclusive offset", "integer"), q("offset_message_seq", "exclusive offset within a channel", "integer"),
     q("pre", "1 = newer than the offset", "integer"), q("payload", "base64; its bytes must occur in the payload"), q("message_id", "exact id", "integer"), q("client_msg_no", "exact client_msg_no")]))
add("/message/sync", "post", op("Deprecated: pending sync_once messages",
    "Oldest first. Use /channel/messagesync instead.", body(S(uid=STR, limit=INT)),
    resp("Messages", {"type": "array", "items": ref("Message")}), None, D))
add("/message/syncack", "post", op("Deprecated: acknowledge sync_once messages",
    "Acknowledges the queue from the oldest entry through the first whose message_seq is last_message_seq.",
    body(S(uid=STR, last_message_seq=INT)), None, None, D))
info_props = dict(ban=FLAG, disband=FLAG, send_ban=FLAG, large=FLAG, allow_stranger=FLAG)
add("/channel", "post", op("Create or update a channel",
    "Sets every flag given (absent = 0). subscribers are added; with reset = 1 they replace the list.",
    body(S(**channel_props, **info_props, subscribers=UIDS, reset=FLAG)), None, None, C))
add("/channel/info", "post", op("Update a channel's settings", "Flags only; members are untouched.",
    body(S(**channel_props, **info_props)), None, None, C))
add("/channel/delete", "post", op("Disband a channel", "Sets disband; stored messages stay readable.",
    body(S(**channel_props)), None, None, C))
for path, field, desc in [
    ("subscriber_add", "subscribers", "Add subscribers (reset = 1 replaces the list)."),
    ("subscriber_remove", "subscribers", "Remove subscribers."),
    ("subscriber_remove_all", None, "Remove every subscriber."),
    ("blacklist_add", "uids", "Add uids to the denylist."),
    ("blacklist_set", "uids", "Replace the denylist."),
    ("blacklist_remove", "uids", "Remove uids from the denylist."),
    ("blacklist_remove_all", None, "Empty the denylist."),
    ("whitelist_add", "uids", "Add uids to the allowlist."),
    ("whitelist_set", "uids", "Replace the allowlist."),
    ("whitelist_remove", "uids", "Remove uids from the allowlist."),
    ("whitelist_remove_all", None, "Empty the allowlist.")]:
    props = dict(channel_props)
    if field: props[field] = UIDS
    if path == "subscriber_add": props["reset"] = FLAG
    add("/channel/" + path, "post", op(desc.split(" (")[0].rstrip("."), desc, body(S(**props)), None, None, C))
add("/channel/whitelist", "get", op("A channel's allowlist", "", None, resp("uids", UIDS), None, C,
    [q("channel_id", "channel id", required=True), q("channel_type", "channel type", "integer", True)]))
add("/user/token", "post", op("Register a client token",
    "Clients must CONNECT with this token when tokenAuthOn is true. device_level 1 (master) kicks the user's other connections with the same device_flag (on every node of a cluster).",
    body(S(uid=STR, token=STR, device_flag=INT, device_level=FLAG)), None, None, U))
add("/user/device_quit", "post", op("Log a user's devices out",
    "Clears the tokens of device_flag (-1 = app, web and pc) and kicks those connections (DISCONNECT reason 12) on every node of a cluster.",
    body(S(uid=STR, device_flag=INT)), None, None, U))
add("/user/onlinestatus", "post", op("Which users are online",
    "One entry per connected device type of each uid given, on any node of a cluster.", body(UIDS),
    resp("Online devices", {"type": "array", "items": S(uid=STR, device_flag=INT, online=INT)}), None, U))
conv_body = lambda **extra: body(S(uid=STR, channel_id={"type": "string", "description": "the peer's uid for person chats"}, channel_type=INT, **extra))
add("/conversation/sync", "post", op("A user's conversations",
    "The chat list: one entry per channel with messages, newest first. unread counts only other users' red_dot messages after the read position (sending marks a chat read). version > 0: only conversations changed after it. last_msg_seqs (\"channel_id:channel_type:seq|...\") lists what the client holds: recents start after it, and those channels are listed even when their type is excluded. recents: the newest msg_count messages (at most 100), newest first. page (1-based) and page_size (default 100, at most 500) page the list; page 0 = all.",
    body(S(uid=STR, version=I64, last_msg_seqs=STR, msg_count=INT, only_unread=FLAG, exclude_channel_types={"type": "array", "items": INT}, page=INT, page_size=INT),
         {"uid": "u1", "version": 0, "msg_count": 1}),
    resp("Conversations", {"type": "array", "items": ref("Conversation")}), None, V))
add("/conversations/clearUnread", "post", op("Mark a conversation read",
    "Everything up to message_seq (0 or absent: the newest message) is read.",
    conv_body(message_seq=INT), None, None, V))
add("/conversations/setUnread", "post", op("Set a conversation's unread count",
    "Shows `unread` unread messages; later messages from others add to it.",
    conv_body(unread=INT), None, None, V))
add("/conversations/delete", "post", op("Delete a conversation",
    "Hides it and marks everything up to the newest message read; a later message brings it back, counting only what came after.",
    conv_body(), None, None, V))
dead_letter = S(id=INT, event=STR, events=INT, attempts=INT, failed_at=INT, last_error=STR, body={"description": "the call's JSON as it would be sent now (null when its messages expired)"})
add("/webhook/deadletters", "get", op("Webhook dead letters",
    "Calls that failed webhook.msgNotifyEventRetryMaxCount times, oldest first.", None,
    resp("A page", S(total=INT, dead_letters={"type": "array", "items": dead_letter})), None, W,
    [q("after", "list dead letters with a larger id", "integer"), q("limit", "default 20, at most 100", "integer")]))
add("/webhook/deadletters/replay", "post", op("Replay dead letters",
    "Queues the events of the dead letters `ids` (absent or empty: all) again, after the events waiting now.",
    body(S(ids={"type": "array", "items": INT})), resp("Replayed", S(replayed=INT)), None, W))
add("/webhook/deadletters/delete", "post", op("Delete dead letters",
    "Deletes the dead letters `ids`, or all of them with all = 1.",
    body(S(ids={"type": "array", "items": INT}, all=FLAG)), resp("Deleted", S(deleted=INT)), None, W))
add("/conn/kick", "post", op("Kick a user's connections",
    "DISCONNECT (reason 12) then close, for device_flag (-1 or absent = all), on every node of a cluster.",
    body(S(uid=STR, device_flag=INT)), None, None, O))
add("/connz", "get", op("Client connections", "Paged by connection id.", None,
    resp("Connections", S(now=INT, total=INT, offset=INT, limit=INT, connections={"type": "array", "items": S(id=INT, uid=STR, device_flag=INT, device_level=INT, device_id=STR, version=INT, transport=STR, remote=STR, connected_at=INT, uptime_seconds=INT)})),
    None, O, [q("offset", "list connections with a larger id", "integer"), q("limit", "default 100, at most 1000", "integer"), q("uid", "only this user's connections")]))
add("/varz", "get", op("Node figures", "Connections, traffic, storage and memory of this node; in cluster mode also cluster: {node_id, healthy, nodes_online, partitions_owned, partition_count, forwarded_writes, retried_writes, deliveries_from_others}.", None,
    resp("Figures", {"type": "object"}), None, O))
ADDRS = dict(tcp_addr={"type": "string", "description": "host:port for wkproto over TCP"}, ws_addr={"type": "string", "description": "ws://host:port"},
             wss_addr={"type": "string", "description": "wss://host:port; empty when the node has no WebSocket over TLS"})
NO_NODE = {"503": resp("No node of the cluster is available", ref("Error"))}
add("/route", "get", op("Where a user should connect",
    "The client addresses of the node the user is sent to: in cluster mode a live node chosen by a stable hash of the uid (a user always lands on the same node while it lives; users spread evenly), on a single node its own addresses (external.* when set, else derived from the listen addresses).",
    None, resp("Addresses", S(**ADDRS)), NO_NODE, CL, [q("uid", "the user", required=True)]))
add("/route/batch", "post", op("Where many users should connect",
    "The uids grouped by the node each is sent to (as GET /route): one entry per node that gets some, by node id, uids in the order given.",
    body(UIDS, ["u1", "u2"]), resp("Groups", {"type": "array", "items": S(uids=UIDS, **ADDRS)}), NO_NODE, CL))
add("/cluster/nodes", "get", op("The nodes of the cluster",
    "Every node known (heard from, named in cluster.initNodes, or owning a partition), what each leads (partitions, and hash slots: slot s belongs to partition s % partition_count) and every partition's owner and progress, as the answering node sees them. A single node answers itself alone, holding every slot, with no partitions.",
    None, resp("Nodes", S(
        nodes={"type": "array", "items": S(id=INT, online={"type": "boolean", "description": "heard from within the last 3 s"},
               healthy={"type": "boolean", "description": "online and reaching JetStream"}, api_url=STR, **ADDRS,
               partitions_led=INT, slots_led=INT)},
        partitions={"type": "array", "items": S(partition=INT, owner={"type": "integer", "description": "0: none"},
                    applied={"type": "integer", "description": "last log position durable on the answering node"},
                    log_last={"type": "integer", "description": "last log position JetStream reported"})},
        slot_count=INT, partition_count=INT, node_id={"type": "integer", "description": "the answering node"},
        mode={"type": "string", "enum": ["single", "cluster"]})), None, CL))
add("/health", "get", op("Health", "200 when serving; 503 {\"status\":\"unavailable\",\"msg\"} when storage refuses writes, and in cluster mode 503 {\"status\":503,\"msg\"} when this node cannot reach NATS or JetStream.", None,
    resp("Serving", S(status=STR)), {"503": resp("Not serving", S(status={"oneOf": [STR, INT]}, msg=STR))}, O, public=True))
add("/docs", "get", op("This documentation", "An HTML page.", None, {"description": "HTML", "content": {"text/html": {}}}, None, O, public=True))
add("/docs/openapi.json", "get", op("The OpenAPI document", "", None, resp("OpenAPI 3"), None, O, public=True))

add("/stream/open", "post", op("Open a stream",
    "Stores the anchor message (a send body; payload = the initial content) like /message/send and answers once it is durable, with the stream_no that chunks name. The anchor is delivered like any message; protocol v5 clients then get a ___TextMessageStart EVENT. Retrying with the same client_msg_no returns the same stream.",
    body(ref("SendRequest"), {"header": {"red_dot": 1}, "client_msg_no": "answer-42", "from_uid": "bot", "channel_id": "group123", "channel_type": 2, "payload": "eyJ0eXBlIjoxLCJjb250ZW50IjoiIn0="}),
    resp("Opened", S(stream_no=STR, message_id=I64, message_idstr=STR, message_seq=INT, client_msg_no=STR)), None, ST))
add("/stream/close", "post", op("Close a stream",
    "Ends the stream (end_reason 0 normal, 1 error); protocol v5 clients get a ___TextMessageEnd EVENT. Closing a closed stream answers the same again. A stream nothing touched for stream.idleTimeout is closed by the server with end_reason 2.",
    body(S(stream_no=STR, end_reason=FLAG), {"stream_no": "st2129426714911051776"}),
    resp("Closed", S(stream_no=STR, message_id=I64, message_idstr=STR, message_seq=INT, client_msg_no=STR)),
    {"404": resp("No such stream", ref("Error"))}, ST))
add("/event", "post", op("Send an event (WuKongIM 2.2)",
    "Event types ___TextMessageStart, ___TextMessageContent and ___TextMessageEnd drive a stream named by client_msg_no: Start opens it (event.data is the anchor's payload), Content appends event.data as a chunk (v5 clients get the data unchanged), End closes it (data \"error\": end_reason 1). Any other type is relayed to the channel's protocol v5 clients and not stored.",
    body(S(client_msg_no=STR, channel_id=STR, channel_type=INT, from_uid=STR, event=S(id=STR, type=STR, timestamp=I64, data={})),
         {"client_msg_no": "answer-42", "channel_id": "group123", "channel_type": 2, "from_uid": "bot", "event": {"id": "e1", "type": "___TextMessageContent", "timestamp": 1700000000000, "data": "Hello"}}),
    resp("Done: the stream result, or {\"status\":200} for a relayed event"),
    {"404": resp("Content or End for an unknown stream", ref("Error"))}, ST))

schemas = {
  "Header": S(no_persist=FLAG, red_dot=FLAG, sync_once=FLAG),
  "SendRequest": {**S(header=ref("Header"), client_msg_no=STR, stream_no=STR, from_uid=STR, channel_id=STR, channel_type=INT,
        expire={"type": "integer", "description": "seconds of life; 0 = forever"}, subscribers=UIDS,
        payload={"type": "string", "format": "byte"}, tag_key=STR), "required": ["payload"]},
  "SendResult": S(message_id=I64, message_idstr=STR, message_seq=INT, client_msg_no=STR),
  "Message": S(stream_data={"type": "string", "format": "byte", "description": "stream_v2 = 1, stream anchors: every chunk's payload, concatenated"}, end={**FLAG, "description": "stream_v2 = 1: the stream has ended"}, end_reason={"type": "integer", "description": "0 normal, 1 error, 2 timeout"}, message_id=I64, message_idstr=STR, message_seq=INT, client_msg_no=STR, from_uid=STR, channel_id=STR, channel_type=INT,
        target_uid=STR, timestamp=INT, payload={"type": "string", "format": "byte"}, setting=INT, expire=INT, header=ref("Header"), stream_no=STR, tag_key=STR),
  "Error": {**S(status=INT, msg=STR, reason_code={"type": "integer", "description": "wkproto reason code (send errors)"}, index={"type": "integer", "description": "sendbatch: first invalid item"}), "required": ["status", "msg"]},
  "Ok": S(status={"type": "integer", "example": 200}),
  "Conversation": S(channel_id=STR, channel_type=INT, unread=INT, timestamp=INT, last_msg_seq=INT, last_client_msg_no=STR, offset_msg_seq=INT,
        readed_to_msg_seq=INT, version=I64, recents={"type": "array", "items": ref("Message")}),
}
tags = [
  {"name": "Streams", "description": "A message that grows after it is stored, e.g. an AI answer token by token: /stream/open stores the anchor, /message/send with stream_no appends chunks (durable before answered, in order), /stream/close ends it. Protocol v5 clients see it grow as EVENT packets (___TextMessageStart, ___TextMessageContent, ___TextMessageEnd); clients of v2-v4 get the anchor as a normal message and read the whole stream by sync with stream_v2 1, which adds stream_data, end and end_reason to anchors (at most 32 MiB of streams per answer)."},
  {"name": "Conversations", "description": "A user's chat list, computed from what is stored: for each channel with messages, the newest message, the read position and an exact unread count (other users' red_dot messages after the read position; sending marks a chat read; a RECVACK does not). A send without header.red_dot counts as red_dot 1. conversation.on false turns the bookkeeping off."},
  {"name": "Cluster", "description": "Where clients connect and what the cluster looks like (docs/cluster.md). In cluster mode /user/onlinestatus reports the connections of every node, and /conn/kick, /user/device_quit and a master /user/token kick them on every node."},
  {"name": "Webhooks", "description": "With webhook.httpAddr (POST {httpAddr}?event=<name>, JSON body) or webhook.grpcAddr (WuKongIM's WebhookService) set, the server calls your backend with msg.notify (a JSON array of stored message objects, at most msgNotifyEventCountPerPush per call), msg.offline (one message object plus to_uids: the recipients without a connection) and user.onlinestatus (a JSON array of \"uid-deviceFlag-online-connId-deviceOnlineCount-totalOnlineCount\" strings); webhook.focusEvents picks which. Only a 2xx answer counts. Events come from durable state and are delivered at least once, in order per channel: de-duplicate by message_id. With webhook.secret every call carries X-WK-Timestamp and X-WK-Signature: sha256=<hex HMAC-SHA256 of timestamp + \".\" + body>. A call that fails msgNotifyEventRetryMaxCount times (retried after 1 s, doubling to 60 s) becomes a dead letter: list, replay or delete them here."},
]
doc = {"openapi": "3.0.3",
  "info": {"title": "jindou HTTP API", "version": "0.1.0", "description": "WuKongIM-compatible HTTP API. Errors are the HTTP status plus {\"status\",\"msg\"}. When managerToken is set, send `Authorization: Bearer <token>` (or `token: <token>`)."},
  "servers": [{"url": "/"}],
  "components": {"schemas": schemas, "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}, "token": {"type": "apiKey", "in": "header", "name": "token"}}},
  "security": [{"bearer": []}, {"token": []}],
  "tags": tags,
  "paths": paths}
print(json.dumps(doc, indent=1, ensure_ascii=False))
