package chat

// NoticeEvery is noticeEvery, for the tests of package chat_test.
const NoticeEvery = noticeEvery
