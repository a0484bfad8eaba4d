// ChannelShard: metadata changes (channel info, member lists, disband, other writes), run one
// at a time per shard so that a change reading the stored member list sees every earlier one.
#include "engine/channel_shard.h"

namespace jindou::engine {

void ChannelShard::run_meta(std::function<void(StatusCallback)> op, StatusCallback done,
                            std::function<void()> prefetch) {
  meta_waiting_.emplace_back(
      [this, op = std::move(op), done = std::move(done), prefetch = std::move(prefetch)]() mutable {
        meta_busy_ = true;
        auto run = [this, op = std::move(op), done = std::move(done)]() mutable {
          op([this, done = std::move(done)](Status s) {
            done(std::move(s));
            meta_busy_ = false;
            run_next_meta();
          });
        };
        if (prefetch && context_.disk_reads != nullptr) {
          // What the change reads is brought into memory on a read thread first, so the change
          // itself, on this shard, finds it there instead of waiting for the disk.
          context_.disk_reads->post([this, prefetch = std::move(prefetch), run = std::move(run)] {
            prefetch();
            executor_.post(run);
          });
          return;
        }
        run();
      });
  run_next_meta();
}

void ChannelShard::run_next_meta() {
  if (meta_running_queue_) return;  // the loop below picks it up
  meta_running_queue_ = true;
  struct Done {
    bool& flag;
    ~Done() { flag = false; }
  } done{meta_running_queue_};
  while (!meta_busy_ && !meta_waiting_.empty()) {
    auto next = std::move(meta_waiting_.front());
    meta_waiting_.pop_front();
    next();
  }
}

void ChannelShard::change_channel(const ChannelKey& key, std::optional<ChannelInfo> info,
                                  std::optional<MemberChange> members, StatusCallback done) {
  run_meta(
      [this, key, info, members = std::move(members)](StatusCallback finish) {
        using Mode = MemberChange::Mode;
        // Reads first: a failed read must leave nothing of this change in the open batch.
        std::vector<std::string> current;
        const bool subscribers = members && members->role == MemberRole::kSubscriber;
        const bool track_conversations = subscribers && options_.conversations &&
                                         has_conversations(key.type) && !key.is_person();
        ChannelState& st = state(key);
        if (subscribers && (members->mode == Mode::kSet || members->mode == Mode::kRemoveAll ||
                            track_conversations)) {
          auto read = store_.members(key, MemberRole::kSubscriber);
          if (!read.ok()) {
            finish(read.error());
            return;
          }
          current = std::move(*read);
        }
        if (track_conversations) {
          if (auto err = load_tip(st)) {
            finish(std::move(*err));
            return;
          }
        }
        Batch& batch = open(key);
        store::WriteSet& ws = batch.writes;
        if (track_conversations) record_member_conversations(st, *members, current);
        if (info) ws.put_channel_info(key, *info);
        if (members) {
          if (members->mode == Mode::kSet || members->mode == Mode::kRemoveAll) {
            if (members->role == MemberRole::kSubscriber) {
              // Delete one by one so the reverse (uid -> channels) index follows.
              for (const auto& uid : current) ws.delete_member(key, members->role, uid);
            } else {
              ws.delete_all_members(key, members->role);
            }
          }
          if (members->mode == Mode::kRemove) {
            for (const auto& uid : members->uids) ws.delete_member(key, members->role, uid);
          } else if (members->mode != Mode::kRemoveAll) {
            for (const auto& uid : members->uids) ws.put_member(key, members->role, uid);
          }
        }
        batch.meta.emplace_back(key, std::move(finish));
        schedule_flush();
      },
      std::move(done),
      [store = &store_, key] {
        (void)store->members(key, MemberRole::kSubscriber);
        (void)store->channel_tip(key);
      });
}

void ChannelShard::disband_channel(const ChannelKey& key, StatusCallback done) {
  run_meta(
      [this, key](StatusCallback finish) {
        // Metadata changes are serialized, so the stored info is current here.
        auto current = store_.channel_info(key);
        if (!current.ok()) {
          finish(current.error());
          return;
        }
        ChannelInfo info = current->value_or(ChannelInfo{});
        info.disband = true;
        Batch& batch = open(key);
        batch.writes.put_channel_info(key, info);
        batch.meta.emplace_back(key, std::move(finish));
        schedule_flush();
      },
      std::move(done), [store = &store_, key] { (void)store->channel_info(key); });
}

void ChannelShard::commit_writes(const ChannelKey& key, store::WriteSet writes,
                                 StatusCallback done) {
  run_meta(
      [this, key, writes = std::move(writes)](StatusCallback finish) mutable {
        Batch& batch = open(key);
        batch.writes.append(std::move(writes));
        batch.meta.emplace_back(std::nullopt, std::move(finish));
        schedule_flush();
      },
      std::move(done));
}

}  // namespace jindou::engine
