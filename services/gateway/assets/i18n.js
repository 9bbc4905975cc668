// The interface in English and Chinese. The language comes from localStorage, else the browser's
// languages; switching it is remembered in localStorage (and in the account, by the caller).
// Error codes of the API's problem documents map to messages here (`err.<code>`).

const KEY = 'glimvid.lang';
export const LANGS = [['en', 'English'], ['zh', '中文']];

const en = {
  title: 'Glimvid — product videos from photos',
  language: 'Language', email: 'Email', password: 'Password', ok: 'OK', cancel: 'Cancel', close: 'Close',
  copy: 'Copy', copied: 'Copied', remove: 'Remove', revoke: 'Revoke',
  'nav.new': 'New video', 'nav.videos': 'My videos', 'nav.account': 'Account', 'nav.logout': 'Log out',
  'nav.login': 'Log in', 'nav.register': 'Register',
  offline: 'You are offline. Changes will not be saved until the connection is back.',
  back_online: 'Back online.',
  'logged_out.session_ended': 'Your session has ended. Please log in again.',
  'logged_out.undefined': 'You are logged out.',
  'login.title': 'Log in', 'login.submit': 'Log in', 'login.no_account': 'No account yet?',
  'register.title': 'Create your account', 'register.submit': 'Create account',
  'register.age': 'I am 16 or older', 'register.have_account': 'Already registered?',
  'register.privacy': 'We keep your photos and videos until you delete them, and never sell your data. You can export or delete everything at any time.',
  'pw.min': 'At least {n} characters ({have} so far)', 'pw.max': 'At most {n} characters',
  'pw.common': 'Not a well-known password (checked when you submit)',
  balance: 'Credits: {credits} · free trials left: {trials}',
  buy_credits: 'Get credits on your account page',
  request_id: 'Request id (quote it if you contact us): {id}',
  'create.title': 'Make a video', 'create.photos': 'Photos', 'create.pick': 'Choose photos',
  'create.drop': 'Drop 1 to 6 photos here, or', 'create.photo_rules': 'Up to {n} photos, JPEG, PNG or WebP, {mb} MB each.',
  'create.photo_n': 'Photo {n}: {name}', 'create.move_up': 'Move photo {n} earlier', 'create.move_down': 'Move photo {n} later',
  'create.remove': 'Remove photo {n}', 'create.too_many': 'At most {n} photos per video.',
  'create.bad_type': '{name} is not a JPEG, PNG or WebP image.', 'create.too_big': '{name} is larger than {mb} MB.',
  'create.description': 'Description', 'create.description_hint': 'What the product is and what the video should say.',
  'create.aspect': 'Aspect ratio', 'create.aspect_portrait': 'Portrait 9:16', 'create.aspect_landscape': 'Landscape 16:9',
  'create.aspect_square': 'Square 1:1', 'create.duration': 'Duration', 'create.seconds': '{n} seconds',
  'create.language': 'Video language', 'create.style': 'Style', 'create.style_clean': 'Clean', 'create.style_bold': 'Bold',
  'create.style_elegant': 'Elegant', 'create.review': 'Let me review the script before paying',
  'create.submit': 'Make my video', 'create.uploading': 'Upload progress',
  'create.voice': 'Narrator', 'create.voice_auto': 'Default voice', 'create.voice_none': 'No narration',
  'create.gender_female': 'female', 'create.gender_male': 'male', 'create.music': 'Music',
  'create.music_auto': 'Matching the style', 'create.music_none': 'No music', 'create.captions': 'Captions',
  'create.captions_burned': 'In the picture, with the speech', 'create.captions_none': 'None (subtitle files only)',
  'lang.en': 'English', 'lang.zh': 'Chinese', 'lang.es': 'Spanish', 'lang.fr': 'French', 'lang.de': 'German', 'lang.ja': 'Japanese',
  'videos.title': 'My videos', 'videos.more': 'Show more', 'videos.empty': 'No videos yet.',
  'status.queued': 'Queued', 'status.running': 'Running', 'status.awaiting_review': 'Awaiting your review',
  'status.succeeded': 'Done', 'status.failed': 'Failed', 'status.canceled': 'Cancelled', 'status.pending': 'Waiting',
  'stage.script': 'Script', 'stage.enhance': 'Photos', 'stage.render': 'Video',
  'live.live': 'Live progress', 'live.reconnecting': 'Connection lost, reconnecting…',
  'job.title': 'Video', 'job.cancel': 'Cancel video', 'job.cancel_confirm': 'Cancel this video? What it reserved is given back.',
  'job.download': 'Download', 'job.copy': 'Copy public link', 'job.copied': 'Link copied',
  'job.delete': 'Delete', 'job.delete_confirm': 'Delete this video and its files? This cannot be undone.',
  'job.deleted': 'Video deleted', 'job.failed': 'This video could not be made.', 'job.failed_generic': 'Something went wrong on our side.',
  'job.canceled': 'This video was cancelled.', 'job.player': 'Your video', 'job.subtitles': 'Subtitles', 'job.subtitles_vtt': 'Subtitles (WebVTT)', 'job.subtitles_srt': 'Subtitles (SRT)',
  'fail.timeout': 'A step took too long.', 'fail.canceled': 'It was cancelled.', 'fail.photo': 'A photo could not be used.',
  'fail.provider': 'An outside service failed.', 'fail.attempts': 'It failed after several tries.',
  'review.title': 'Review before paying', 'review.intro': 'Edit the lines and captions and put the scenes in order. You pay when you render.',
  'review.title_field': 'Title', 'review.hook': 'Opening line', 'review.cta': 'Call to action', 'review.scene': 'Scene {n}',
  'review.caption': 'Caption', 'review.voiceover': 'Voice-over', 'review.photo': 'Photo {n}',
  'review.up': 'Move scene {n} earlier', 'review.down': 'Move scene {n} later',
  'review.save': 'Save changes', 'review.saved': 'Saved', 'review.render': 'Render and pay', 'review.rendering': 'Rendering started',
  'review.price_trial': 'Rendering uses 1 free trial ({trials} left; credits: {credits}).',
  'review.price_credit': 'Rendering costs {cost} credit (you have {credits}).',
  'account.title': 'Your account', 'account.balance': 'Credits and free trials', 'account.credits': 'Credits',
  'account.trials': 'Free trials left', 'account.since': 'Member since',
  'account.buy': 'Credits are bought through our payment provider; quote your account id {id} at checkout.',
  'account.settings': 'Settings', 'account.opt_out': 'Keep my content out of any training data', 'account.saved': 'Saved',
  'account.usage': 'Usage in the last 30 days', 'account.usage_summary': '{n} videos made in the last 30 days (the log keeps {days} days).',
  'usage.when': 'When', 'usage.action': 'Action', 'usage.ip': 'IP address', 'usage.status': 'Result',
  'action.register': 'Registered', 'action.login': 'Logged in', 'action.login_failed': 'Failed login',
  'action.video_created': 'Video made', 'action.export': 'Export', 'action.api_key_created': 'API key created',
  'action.api_key_revoked': 'API key revoked', 'action.account_updated': 'Settings changed', 'action.purchase': 'Credits bought',
  'account.password_title': 'Password', 'account.current_password': 'Current password', 'account.new_password': 'New password',
  'account.revoke_keys': 'Also revoke all API keys', 'account.change_password': 'Change password',
  'account.password_changed': 'Password changed',
  'account.export_title': 'Export your data', 'account.export_intro': 'A zip of your account, usage log, photos, scripts and videos.',
  'account.export': 'Export', 'account.exported': 'Export downloaded',
  'account.delete_title': 'Delete account', 'account.delete_intro': 'Deletes your account, photos, scripts and videos at once. Public links stop working.',
  'account.delete': 'Delete my account', 'account.delete_confirm': 'Delete your account and everything in it? This cannot be undone.',
  'account.deleted': 'Your account is deleted.', 'account.secret_once': 'Your {what}: copy it now, it is not shown again.',
  'keys.title': 'API keys', 'keys.intro': 'For partners calling the gRPC API.', 'keys.name': 'Name', 'keys.write': 'May create videos',
  'keys.create': 'Create key', 'keys.new': 'New key', 'keys.key': 'API key', 'keys.revoke': 'Revoke key {name}',
  'keys.revoke_confirm': 'Revoke the key {name}? Programs using it stop working.',
  'hooks.title': 'Webhooks', 'hooks.intro': 'We POST each job event to these URLs, signed with the secret.',
  'hooks.url': 'URL', 'hooks.add': 'Add webhook', 'hooks.secret': 'signing secret', 'hooks.remove': 'Remove webhook {url}',
  'hooks.remove_confirm': 'Remove the webhook {url}?',
  'err.unknown': 'Something went wrong. Please try again.',
  'err.network': 'The server cannot be reached. Check your connection and try again.',
  'err.rate_limited': 'Too many requests. Please wait a moment.',
  'err.rate_limited_in': 'Too many requests. Try again in {s} seconds.',
  'err.unavailable_in': 'The service is busy. Try again in {s} seconds.',
  'err.validation_failed': 'Please check what you entered.', 'err.malformed_request': 'The request could not be read.',
  'err.unauthenticated': 'Wrong email or password, or your session has ended.', 'err.forbidden': 'You are not allowed to do this.',
  'err.not_found': 'Not found. It may have been deleted.', 'err.conflict': 'This conflicts with the current state (for example, the email is taken).',
  'err.payment_required': 'No credits or free trials left.', 'err.payload_too_large': 'A photo or the upload is too large.',
  'err.unsupported_media_type': 'A file is not a JPEG, PNG or WebP image.', 'err.failed_precondition': 'This cannot be done in the current state.',
  'err.unavailable': 'The service is temporarily unavailable. Please try again.', 'err.internal': 'An error on our side. Please try again.',
  'err.password_required': 'Enter your current password.', 'err.invalid_password': 'The password is not right.',
  'err.password_rules': 'The password does not meet the rules.', 'err.age_required': 'Please confirm that you are 16 or older.',
  'err.photos_required': 'Add at least one photo.', 'err.description_required': 'Describe the product.',
};

const zh = {
  title: 'Glimvid — 用照片生成产品视频',
  language: '语言', email: '邮箱', password: '密码', ok: '确定', cancel: '取消', close: '关闭',
  copy: '复制', copied: '已复制', remove: '移除', revoke: '撤销',
  'nav.new': '新建视频', 'nav.videos': '我的视频', 'nav.account': '账户', 'nav.logout': '退出',
  'nav.login': '登录', 'nav.register': '注册',
  offline: '您已离线。连接恢复前，更改不会保存。', back_online: '已恢复连接。',
  'logged_out.session_ended': '您的会话已结束，请重新登录。', 'logged_out.undefined': '您已退出。',
  'login.title': '登录', 'login.submit': '登录', 'login.no_account': '还没有账户？',
  'register.title': '创建账户', 'register.submit': '创建账户', 'register.age': '我已年满 16 岁', 'register.have_account': '已经注册？',
  'register.privacy': '您的照片和视频会保留到您删除为止，我们从不出售您的数据。您可以随时导出或删除全部内容。',
  'pw.min': '至少 {n} 个字符（目前 {have} 个）', 'pw.max': '最多 {n} 个字符', 'pw.common': '不能是常见密码（提交时检查）',
  balance: '点数：{credits} · 剩余免费试用：{trials}', buy_credits: '在账户页面获取点数',
  request_id: '请求编号（联系我们时请提供）：{id}',
  'create.title': '制作视频', 'create.photos': '照片', 'create.pick': '选择照片', 'create.drop': '将 1 到 6 张照片拖到这里，或',
  'create.photo_rules': '最多 {n} 张照片，JPEG、PNG 或 WebP，每张不超过 {mb} MB。', 'create.photo_n': '照片 {n}：{name}',
  'create.move_up': '将照片 {n} 前移', 'create.move_down': '将照片 {n} 后移', 'create.remove': '移除照片 {n}',
  'create.too_many': '每个视频最多 {n} 张照片。', 'create.bad_type': '{name} 不是 JPEG、PNG 或 WebP 图片。',
  'create.too_big': '{name} 超过 {mb} MB。', 'create.description': '描述', 'create.description_hint': '产品是什么，视频要表达什么。',
  'create.aspect': '画面比例', 'create.aspect_portrait': '竖屏 9:16', 'create.aspect_landscape': '横屏 16:9', 'create.aspect_square': '方形 1:1',
  'create.duration': '时长', 'create.seconds': '{n} 秒', 'create.language': '视频语言', 'create.style': '风格',
  'create.style_clean': '简洁', 'create.style_bold': '醒目', 'create.style_elegant': '优雅', 'create.review': '付款前让我审阅脚本',
  'create.submit': '生成视频', 'create.uploading': '上传进度',
  'create.voice': '旁白', 'create.voice_auto': '默认声音', 'create.voice_none': '不要旁白',
  'create.gender_female': '女声', 'create.gender_male': '男声', 'create.music': '音乐',
  'create.music_auto': '与风格相配', 'create.music_none': '不要音乐', 'create.captions': '字幕',
  'create.captions_burned': '显示在画面中，与语音同步', 'create.captions_none': '不显示（仅字幕文件）',
  'lang.en': '英语', 'lang.zh': '中文', 'lang.es': '西班牙语', 'lang.fr': '法语', 'lang.de': '德语', 'lang.ja': '日语',
  'videos.title': '我的视频', 'videos.more': '显示更多', 'videos.empty': '还没有视频。',
  'status.queued': '排队中', 'status.running': '制作中', 'status.awaiting_review': '等待您审阅', 'status.succeeded': '完成',
  'status.failed': '失败', 'status.canceled': '已取消', 'status.pending': '等待中',
  'stage.script': '脚本', 'stage.enhance': '照片', 'stage.render': '视频',
  'live.live': '实时进度', 'live.reconnecting': '连接中断，正在重新连接…',
  'job.title': '视频', 'job.cancel': '取消视频', 'job.cancel_confirm': '取消这个视频？预留的额度会退还。', 'job.download': '下载',
  'job.copy': '复制公开链接', 'job.copied': '链接已复制', 'job.delete': '删除', 'job.delete_confirm': '删除这个视频及其文件？此操作无法撤销。',
  'job.deleted': '视频已删除', 'job.failed': '这个视频未能生成。', 'job.failed_generic': '我们这边出了问题。',
  'job.canceled': '这个视频已取消。', 'job.player': '您的视频', 'job.subtitles': '字幕', 'job.subtitles_vtt': '字幕（WebVTT）', 'job.subtitles_srt': '字幕（SRT）',
  'fail.timeout': '某个步骤耗时过长。', 'fail.canceled': '已被取消。', 'fail.photo': '有照片无法使用。',
  'fail.provider': '外部服务出错。', 'fail.attempts': '多次尝试后仍失败。',
  'review.title': '付款前审阅', 'review.intro': '编辑台词和字幕，调整场景顺序。渲染时才付款。', 'review.title_field': '标题',
  'review.hook': '开场白', 'review.cta': '行动号召', 'review.scene': '场景 {n}', 'review.caption': '字幕', 'review.voiceover': '旁白',
  'review.photo': '照片 {n}', 'review.up': '将场景 {n} 前移', 'review.down': '将场景 {n} 后移', 'review.save': '保存修改',
  'review.saved': '已保存', 'review.render': '渲染并付款', 'review.rendering': '已开始渲染',
  'review.price_trial': '渲染将使用 1 次免费试用（剩余 {trials} 次；点数：{credits}）。',
  'review.price_credit': '渲染需要 {cost} 个点数（您有 {credits} 个）。',
  'account.title': '您的账户', 'account.balance': '点数和免费试用', 'account.credits': '点数', 'account.trials': '剩余免费试用',
  'account.since': '注册时间', 'account.buy': '点数通过我们的支付服务商购买；结账时请提供您的账户编号 {id}。',
  'account.settings': '设置', 'account.opt_out': '不要将我的内容用于任何训练数据', 'account.saved': '已保存',
  'account.usage': '最近 30 天的使用记录', 'account.usage_summary': '最近 30 天制作了 {n} 个视频（记录保留 {days} 天）。',
  'usage.when': '时间', 'usage.action': '操作', 'usage.ip': 'IP 地址', 'usage.status': '结果',
  'action.register': '注册', 'action.login': '登录', 'action.login_failed': '登录失败', 'action.video_created': '制作视频',
  'action.export': '导出', 'action.api_key_created': '创建 API 密钥', 'action.api_key_revoked': '撤销 API 密钥',
  'action.account_updated': '修改设置', 'action.purchase': '购买点数',
  'account.password_title': '密码', 'account.current_password': '当前密码', 'account.new_password': '新密码',
  'account.revoke_keys': '同时撤销所有 API 密钥', 'account.change_password': '修改密码', 'account.password_changed': '密码已修改',
  'account.export_title': '导出您的数据', 'account.export_intro': '包含账户、使用记录、照片、脚本和视频的 zip 文件。',
  'account.export': '导出', 'account.exported': '导出已下载', 'account.delete_title': '删除账户',
  'account.delete_intro': '立即删除您的账户、照片、脚本和视频。公开链接将失效。', 'account.delete': '删除我的账户',
  'account.delete_confirm': '删除您的账户及其全部内容？此操作无法撤销。', 'account.deleted': '您的账户已删除。',
  'account.secret_once': '您的{what}：请立即复制，之后不会再显示。',
  'keys.title': 'API 密钥', 'keys.intro': '供调用 gRPC API 的合作伙伴使用。', 'keys.name': '名称', 'keys.write': '可以创建视频',
  'keys.create': '创建密钥', 'keys.new': '新密钥', 'keys.key': 'API 密钥', 'keys.revoke': '撤销密钥 {name}',
  'keys.revoke_confirm': '撤销密钥 {name}？使用它的程序将停止工作。',
  'hooks.title': 'Webhook', 'hooks.intro': '我们会把每个任务事件 POST 到这些地址，并用密钥签名。', 'hooks.url': '地址',
  'hooks.add': '添加 webhook', 'hooks.secret': '签名密钥', 'hooks.remove': '移除 webhook {url}', 'hooks.remove_confirm': '移除 webhook {url}？',
  'err.unknown': '出了点问题，请重试。', 'err.network': '无法连接服务器。请检查网络后重试。',
  'err.rate_limited': '请求过多，请稍候。', 'err.rate_limited_in': '请求过多，请在 {s} 秒后重试。',
  'err.unavailable_in': '服务繁忙，请在 {s} 秒后重试。', 'err.validation_failed': '请检查您输入的内容。',
  'err.malformed_request': '无法读取请求。', 'err.unauthenticated': '邮箱或密码错误，或会话已结束。', 'err.forbidden': '您无权执行此操作。',
  'err.not_found': '未找到，可能已被删除。', 'err.conflict': '与当前状态冲突（例如邮箱已被注册）。',
  'err.payment_required': '没有剩余的点数或免费试用。', 'err.payload_too_large': '照片或上传内容太大。',
  'err.unsupported_media_type': '有文件不是 JPEG、PNG 或 WebP 图片。', 'err.failed_precondition': '当前状态下无法执行此操作。',
  'err.unavailable': '服务暂时不可用，请重试。', 'err.internal': '我们这边出错了，请重试。',
  'err.password_required': '请输入当前密码。', 'err.invalid_password': '密码不正确。', 'err.password_rules': '密码不符合规则。',
  'err.age_required': '请确认您已年满 16 岁。', 'err.photos_required': '请至少添加一张照片。', 'err.description_required': '请描述产品。',
};

const DICTS = { en, zh };
const subs = new Set();

function detect() {
  const saved = localStorage.getItem(KEY);
  if (saved && DICTS[saved]) return saved;
  for (const l of navigator.languages || [navigator.language || 'en']) {
    const base = String(l).toLowerCase().split('-')[0];
    if (DICTS[base]) return base;
  }
  return 'en';
}

let current = detect();

export function lang() { return current; }

/**
 * Switches the interface language and remembers it. `fromAccount`: the account's language at
 * login, which only applies when the user has not chosen one on this device.
 */
export function setLang(code, { fromAccount = false } = {}) {
  if (!DICTS[code]) return;
  if (fromAccount && localStorage.getItem(KEY)) return;
  localStorage.setItem(KEY, code);
  if (code === current) return;
  current = code;
  subs.forEach((f) => f(code));
}

export function onLang(f) { subs.add(f); }

/** The text of `key` with `{name}` placeholders filled; English, then `fallback`, when missing. */
export function t(key, vars = {}, fallback = key) {
  let s = DICTS[current][key] ?? en[key];
  if (s === undefined) return fallback;
  for (const [k, v] of Object.entries(vars || {})) s = s.replaceAll(`{${k}}`, String(v));
  return s;
}

/** Both dictionaries (the browser tests check that every key has both languages). */
export const dictionaries = DICTS;
