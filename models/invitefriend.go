package models

import (
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"

	"qqconnect/discuz"
)

// What an invite with an inviter adds to a registration: the friendship
// (function_friend.php), the inviter's notice and its feed.

// makeFriends is friend_make(inviter) by the new member (function_friend.php):
// the two pre_home_friend rows (REPLACE), addfriendlog (uid the larger,
// fuid the smaller, 'add'), updatestat('friend'), then friend_cache for
// the inviter and the new member.
func (s *Store) makeFriends(w *writer, a *RegAftermath, inv *Invite, uid int64, username string, now time.Time) error {
	tf, tl := s.T.Discuz("home_friend"), s.T.Discuz("home_friendlog")
	if !s.Schema.HasTable(tf) {
		return nil
	}
	ts := now.Unix()
	for _, r := range [][3]any{{inv.UID, uid, username}, {uid, inv.UID, inv.Username}} {
		from, to := r[0], r[1]
		if err := w.exec(func(db *gorm.DB) error {
			return db.Exec("DELETE FROM "+tf+" WHERE uid = ? AND fuid = ?", from, to).Error
		}, "REPLACE INTO "+tf+" (uid, fuid, fusername, dateline) VALUES (?, ?, ?, ?)", from, to, s.Fit(tf, "fusername", r[2].(string)), ts); err != nil {
			return fmt.Errorf("make friends %d and %d: %w", inv.UID, uid, err)
		}
	}
	if s.Schema.HasTable(tl) {
		hi, lo := max(uid, inv.UID), min(uid, inv.UID)
		if err := w.exec(func(db *gorm.DB) error {
			return db.Exec("DELETE FROM "+tl+" WHERE uid = ? AND fuid = ?", hi, lo).Error
		}, "REPLACE INTO "+tl+" (uid, fuid, dateline, action) VALUES (?, ?, ?, 'add')", hi, lo, ts); err != nil {
			return fmt.Errorf("log the friendship of %d and %d: %w", inv.UID, uid, err)
		}
	}
	if a != nil {
		if err := s.updateStat(w, a, now, "friend"); err != nil {
			return err
		}
	}
	for _, u := range []int64{inv.UID, uid} {
		if err := s.friendCache(w, u); err != nil {
			return err
		}
	}
	return nil
}

// friendCacheMax is where friend_cache stops listing friends in feedfriend.
const friendCacheMax = 200

// friendCache is friend_cache(): feedfriend = the friends' uids by num
// DESC, dateline DESC, leaving out the groups the member filters
// (privacy filter_gid), at most about 200; friends = their count (past
// the limit, all rows).
func (s *Store) friendCache(w *writer, uid int64) error {
	tf, th, tc := s.T.Discuz("home_friend"), s.T.Discuz("common_member_field_home"), s.T.Discuz("common_member_count")
	var home []struct{ Privacy, Feedfriend string }
	if err := w.tx.Table(th).Select("privacy, feedfriend").Where("uid = ?", uid).Limit(1).Find(&home).Error; err != nil {
		return fmt.Errorf("read the home fields of uid %d: %w", uid, err)
	}
	var oldFriends []int64
	if err := w.tx.Table(tc).Where("uid = ?", uid).Limit(1).Pluck("friends", &oldFriends).Error; err != nil {
		return fmt.Errorf("read the friend count of uid %d: %w", uid, err)
	}
	filter := map[string]bool{}
	if len(home) > 0 && home[0].Privacy != "" {
		if p, err := discuz.UnserializeText(home[0].Privacy, ""); err == nil {
			if f, ok := p.Get("filter_gid"); ok && f.Arr != nil {
				for _, e := range f.Arr.Entries {
					filter[e.Val.String()] = true
				}
			}
		}
	}
	var rows []struct {
		Fuid int64
		Gid  int64
	}
	if err := w.tx.Table(tf).Select("fuid, gid").Where("uid = ?", uid).Order("num DESC, dateline DESC").Find(&rows).Error; err != nil {
		return fmt.Errorf("read the friends of uid %d: %w", uid, err)
	}
	var feed []byte
	count, listed := 0, 0
	for _, r := range rows {
		if r.Fuid == uid {
			continue
		}
		if listed > friendCacheMax {
			count = len(rows)
			break
		} else if len(filter) == 0 || !filter[strconv.FormatInt(r.Gid, 10)] {
			if listed > 0 {
				feed = append(feed, ',')
			}
			feed = strconv.AppendInt(feed, r.Fuid, 10)
			listed++
		}
		count++
	}
	if len(home) > 0 {
		old := home[0].Feedfriend
		if err := w.exec(func(db *gorm.DB) error {
			return db.Exec("UPDATE "+th+" SET feedfriend = ? WHERE uid = ?", old, uid).Error
		}, "UPDATE "+th+" SET feedfriend = ? WHERE uid = ?", string(feed), uid); err != nil {
			return fmt.Errorf("write the feed friends of uid %d: %w", uid, err)
		}
	}
	if len(oldFriends) > 0 {
		old := oldFriends[0]
		if err := w.exec(func(db *gorm.DB) error {
			return db.Exec("UPDATE "+tc+" SET friends = ? WHERE uid = ?", old, uid).Error
		}, "UPDATE "+tc+" SET friends = ? WHERE uid = ?", count, uid); err != nil {
			return fmt.Errorf("write the friend count of uid %d: %w", uid, err)
		}
	}
	return nil
}

// notifyInviter is notification_add(inviter, 'friend', 'invite_friend',
// …, system): unless the inviter is gone or filters friend notices
// (privacy filter_note friend|0 or friend|<new uid>), a new notice of
// category 2 (friend is "interactive"), from the system, newprompt + 1
// and the newprompt count {friend}. The mail notification_add may send
// is not: qqconnect sends no mail.
func (s *Store) notifyInviter(w *writer, inviter, uid int64, username string, now time.Time) error {
	tn, tm, tp := s.T.Discuz("home_notification"), s.T.Discuz("common_member"), s.T.Discuz("common_member_newprompt")
	if !s.Schema.HasTable(tn) || !s.Schema.HasTable(tp) {
		return nil
	}
	var exists int64
	if err := w.tx.Table(tm).Where("uid = ?", inviter).Count(&exists).Error; err != nil {
		return fmt.Errorf("read the inviter uid %d: %w", inviter, err)
	} else if exists == 0 {
		return nil
	}
	if filtered, err := s.filtersNotice(w, inviter, "friend|0", "friend|"+strconv.FormatInt(uid, 10)); err != nil || filtered {
		return err
	}
	note := s.Fit(tn, "note", discuz.InviteFriendNote(uid, username))
	ts := now.Unix()
	if err := w.exec(func(db *gorm.DB) error {
		return db.Exec("DELETE FROM "+tn+" WHERE uid = ? AND type = 'friend' AND from_idtype = '' AND dateline = ? AND note = ?", inviter, ts, note).Error
	}, "INSERT INTO "+tn+" (uid, type, new, authorid, author, note, dateline, from_id, from_idtype, from_num, category) VALUES (?, 'friend', 1, 0, '', ?, ?, 0, '', 1, 2)",
		inviter, note, ts); err != nil {
		return fmt.Errorf("notify the inviter uid %d: %w", inviter, err)
	}
	return s.countNotice(w, inviter, "friend")
}

// FeedInviteTemplate is lang_feed's feed_invite.
const FeedInviteTemplate = "{actor} 发起邀请，和 {username} 成为了好友"

// inviteFeed is on_register's feed_add('friend', 'feed_invite', …) in the
// inviter's name, written only when the inviter's privacy asks for invite
// feeds — its own privacy[feed], or the site's default privacy when it
// has none (space_merge) — and the site has 动态 on (feed_add's
// check_module('feed'), feedstatus).
func (s *Store) inviteFeed(w *writer, c *InviteConfig, inv *Invite, uid int64, username string, now time.Time) error {
	t, th := s.T.Discuz("home_feed"), s.T.Discuz("common_member_field_home")
	if !c.FeedStatus || !s.Schema.HasTable(t) {
		return nil
	}
	var privacy []string
	if err := w.tx.Table(th).Where("uid = ?", inv.UID).Limit(1).Pluck("privacy", &privacy).Error; err != nil {
		return fmt.Errorf("read the privacy of uid %d: %w", inv.UID, err)
	}
	if len(privacy) == 0 {
		return nil // no field_home row: space_merge makes an empty one and reads no privacy
	}
	feed, ok := discuz.Value{}, false
	if privacy[0] != "" {
		if p, err := discuz.UnserializeText(privacy[0], ""); err == nil {
			feed, ok = p.Get("feed")
			ok = ok && feed.Kind != discuz.KindNull
		}
	}
	if !ok && c.SitePrivacy != "" {
		if p, err := discuz.UnserializeText(c.SitePrivacy, ""); err == nil {
			feed, _ = p.Get("feed")
		}
	}
	if feed.Arr == nil {
		return nil
	}
	if v, _ := feed.Arr.Get("invite"); !v.Truthy() {
		return nil
	}
	link := fmt.Sprintf(`<a href="home.php?mod=space&uid=%d">%s</a>`, uid, username)
	if cs := s.textCharset(t, "title_data"); cs != "" {
		var err error
		if link, err = discuz.ToCharset(link, cs); err != nil {
			return fmt.Errorf("invite feed of uid %d: %w", inv.UID, err)
		}
	}
	data := &discuz.Array{}
	data.Set("username", discuz.Str(link))
	titleData, err := discuz.SerializeText(data, s.textCharset(t, "title_data"))
	if err != nil {
		return fmt.Errorf("invite feed of uid %d: %w", inv.UID, err)
	}
	row := map[string]any{"appid": 0, "icon": "friend", "uid": inv.UID, "username": inv.Username, "dateline": now.Unix(), "friend": 0,
		"hash_template": "", "hash_data": "", "title_template": FeedInviteTemplate, "title_data": titleData,
		"body_template": "", "body_data": "a:0:{}", "body_general": "", "image_1": "", "image_1_link": "", "image_2": "",
		"image_2_link": "", "image_3": "", "image_3_link": "", "image_4": "", "image_4_link": "", "target_ids": "",
		"id": 0, "idtype": "", "hot": 0}
	ts := now.Unix()
	return w.insert(s, t, row, func(db *gorm.DB) error {
		return db.Exec("DELETE FROM "+t+" WHERE uid = ? AND icon = 'friend' AND dateline = ? AND title_data = ?", inv.UID, ts, titleData).Error
	})
}
