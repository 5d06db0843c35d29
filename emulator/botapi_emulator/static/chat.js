// branchbot sandbox chat page: plays people against the local Bot API emulator.
// Untrusted text is only ever put into the DOM through textContent / createTextNode.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const el = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  };
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  const state = {
    version: -1,
    users: [],
    bot: null,
    selected: null,
    chatVersion: -1,
    chat: null,
    rendered: new Map(), // message_id -> {sig, node}
    answerSeq: new Map(), // chat id -> last callback answer seq shown
    seen: loadSeen(), // chat id -> last bot message id the person has looked at
    typingTimer: null,
  };

  // ------------------------------------------------------------------ HTTP helpers
  async function request(method, path, body, isForm) {
    const options = { method, headers: {} };
    if (body !== undefined) {
      if (isForm) {
        options.body = body;
      } else {
        options.headers["Content-Type"] = "application/json";
        options.body = JSON.stringify(body);
      }
    }
    const response = await fetch(path, options);
    let data = null;
    try {
      data = await response.json();
    } catch (_) {
      data = null;
    }
    if (!response.ok) {
      throw new Error((data && data.error) || `${response.status} ${response.statusText}`);
    }
    return data;
  }
  const getJSON = (path) => request("GET", path);
  const postJSON = (path, body) => request("POST", path, body === undefined ? {} : body);
  const postForm = (path, form) => request("POST", path, form, true);

  function loadSeen() {
    try {
      return new Map(Object.entries(JSON.parse(localStorage.getItem("emu-seen") || "{}")));
    } catch (_) {
      return new Map();
    }
  }
  function saveSeen() {
    try {
      localStorage.setItem("emu-seen", JSON.stringify(Object.fromEntries(state.seen)));
    } catch (_) {
      /* private mode: unread dots just won't persist */
    }
  }

  // ------------------------------------------------------------------ notifications
  function toast(text, isError) {
    const node = el("div", "toast" + (isError ? " error" : ""), text);
    $("toasts").appendChild(node);
    setTimeout(() => node.remove(), isError ? 5000 : 2600);
  }
  function showAlert(text) {
    $("modal-text").textContent = text;
    $("modal").hidden = false;
    $("modal-ok").focus();
  }
  $("modal-ok").addEventListener("click", () => {
    $("modal").hidden = true;
  });
  async function guarded(action) {
    try {
      await action();
    } catch (error) {
      toast(String(error.message || error), true);
    }
  }

  // ------------------------------------------------------------------ personas
  const palette = ["#e17076", "#faa774", "#a695e7", "#7bc862", "#6ec9cb", "#65aadd", "#ee7aae"];
  function avatar(user) {
    const node = el("div", "avatar", initials(user.first_name));
    node.style.background = palette[Math.abs(Number(user.id)) % palette.length];
    return node;
  }
  function initials(name) {
    const words = String(name || "?").trim().split(/\s+/);
    const first = Array.from(words[0] || "?")[0] || "?";
    const second = words.length > 1 ? Array.from(words[words.length - 1])[0] : "";
    return (first + (/^[A-Za-z]$/.test(first) ? second : "")).toUpperCase();
  }
  function fullName(user) {
    return [user.first_name, user.last_name].filter(Boolean).join(" ");
  }
  function langLabel(code) {
    if (!code) return "—";
    return code.toLowerCase().startsWith("zh") ? "中文" : code;
  }
  function selectedUser() {
    return state.users.find((u) => u.id === state.selected) || null;
  }

  function renderPersonas() {
    const list = $("persona-list");
    list.replaceChildren();
    for (const user of state.users) {
      const button = el("button", "persona" + (user.id === state.selected ? " active" : ""));
      button.type = "button";
      button.dataset.personaId = String(user.id);
      button.title = `${fullName(user)} · ${user.id}`;
      const body = el("div", "persona-body");
      body.appendChild(el("div", "persona-name", fullName(user)));
      const meta = el("div", "persona-meta");
      meta.appendChild(el("span", "", `#${user.id}`));
      meta.appendChild(el("span", "", langLabel(user.language_code)));
      if (user.blocked) meta.appendChild(el("span", "tag", "已屏蔽 blocked"));
      body.appendChild(meta);
      button.append(avatar(user), body);
      const seen = Number(state.seen.get(String(user.id)) || 0);
      if (user.id !== state.selected && user.last_bot_message_id > seen) {
        const dot = el("span", "unread-dot");
        dot.title = "新消息 (unread)";
        button.appendChild(dot);
      }
      button.addEventListener("click", () => selectPersona(user.id));
      list.appendChild(button);
    }
  }

  function markSeen(user) {
    if (!user) return;
    state.seen.set(String(user.id), user.last_bot_message_id);
    saveSeen();
  }

  async function selectPersona(id) {
    if (state.selected === id) return;
    state.selected = id;
    history.replaceState(null, "", `#persona=${id}`); // a reload keeps the same person
    state.chatVersion = -1;
    state.chat = null;
    state.rendered = new Map();
    const messages = $("messages");
    const empty = $("empty-state");
    empty.hidden = true; // shown again only once the chat is known to be empty
    messages.replaceChildren(empty);
    closeMenus();
    markSeen(selectedUser());
    renderPersonas();
    renderHeader();
    await guarded(loadChat);
    showMenuButton();
    $("composer-input").focus();
  }

  $("new-persona-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const id = Number($("new-persona-id").value);
    const name = $("new-persona-name").value.trim();
    const error = $("new-persona-error");
    error.textContent = "";
    if (!Number.isInteger(id) || id <= 0) {
      error.textContent = "ID 必须是正整数 (positive integer)";
      return;
    }
    if (!name) {
      error.textContent = "请输入姓名 (name required)";
      return;
    }
    postJSON("/_emu/api/users", {
      id,
      first_name: name,
      language_code: $("new-persona-lang").value,
    })
      .then(async () => {
        $("new-persona-id").value = "";
        $("new-persona-name").value = "";
        await refreshUsers();
        await selectPersona(id);
      })
      .catch((e) => {
        error.textContent = String(e.message || e);
      });
  });

  // ------------------------------------------------------------------ polling
  function applyUsers(data) {
    state.version = data.version;
    state.users = data.users;
    state.bot = data.bot;
    $("bot-name").textContent = `@${data.bot.username}`;
    $("chat-title").textContent = data.bot.first_name;
    if (state.selected !== null && !selectedUser()) state.selected = null;
    const user = selectedUser();
    if (user) markSeen(user);
    renderPersonas();
    renderHeader();
  }

  async function refreshUsers() {
    applyUsers(await getJSON("/_emu/api/users"));
  }

  async function pollForever() {
    for (;;) {
      try {
        const data = await getJSON(`/_emu/api/users?since=${state.version}&wait=25`);
        $("conn").classList.remove("down");
        applyUsers(data);
        if (state.selected === null && state.users.length) {
          const wanted = Number((location.hash.match(/persona=(\d+)/) || [])[1]);
          const initial = state.users.find((u) => u.id === wanted) || state.users[0];
          await selectPersona(initial.id);
        }
        const user = selectedUser();
        if (user && user.chat_version !== state.chatVersion) await loadChat();
      } catch (_) {
        $("conn").classList.add("down");
        await sleep(1500);
      }
    }
  }

  async function loadChat() {
    const id = state.selected;
    if (id === null) return;
    const data = await getJSON(`/_emu/api/chats/${id}/messages`);
    if (id !== state.selected) return;
    const firstLoad = state.chat === null;
    state.chat = data;
    state.chatVersion = data.version;
    renderChat(data, firstLoad);
  }

  // ------------------------------------------------------------------ chat rendering
  function renderHeader() {
    const user = selectedUser();
    const enabled = Boolean(user);
    $("composer-input").disabled = !enabled;
    $("composer-send").disabled = !enabled;
    $("block-toggle").disabled = !enabled;
    if (!user) {
      $("chat-sub").textContent = "选择一个人员 (pick a person)";
      $("acting-as").textContent = "";
      $("blocked-banner").hidden = true;
      $("start-bar").hidden = true;
      return;
    }
    $("acting-as").textContent = `以 ${fullName(user)} 身份 (as #${user.id})`;
    const toggle = $("block-toggle");
    toggle.textContent = user.blocked ? "解除屏蔽 (Unblock bot)" : "屏蔽 (Block bot)";
    toggle.classList.toggle("on", user.blocked);
    $("blocked-banner").hidden = !user.blocked;
    $("start-bar").hidden = user.started;
    if (!state.chat || !state.chat.chat_action) {
      $("chat-sub").textContent = `机器人 (bot) · @${state.bot ? state.bot.username : ""}`;
      $("chat-sub").classList.remove("typing-now");
    }
  }

  function renderChat(data, firstLoad) {
    const container = $("messages");
    const stick = firstLoad || container.scrollHeight - container.scrollTop - container.clientHeight < 80;
    const visible = data.messages.filter((m) => !m.deleted);
    const byId = new Map(data.messages.map((m) => [m.message_id, m]));
    let added = false;

    for (const [id, item] of state.rendered) {
      const message = byId.get(id);
      if (!message || message.deleted) {
        item.node.remove();
        state.rendered.delete(id);
      }
    }
    for (const message of visible) {
      const sig = JSON.stringify(message);
      const existing = state.rendered.get(message.message_id);
      if (existing && existing.sig === sig) continue;
      const node = renderMessage(message, byId);
      if (existing) {
        existing.node.replaceWith(node);
      } else {
        container.appendChild(node);
        added = true;
      }
      state.rendered.set(message.message_id, { sig, node });
    }
    const empty = $("empty-state");
    if (empty) empty.hidden = visible.length > 0;

    renderReplyKeyboard(data.reply_keyboard);
    $("composer-input").placeholder = data.placeholder || "消息 (Message)";
    renderTyping(data.chat_action);
    renderAnswer(data, firstLoad);
    renderHeader();
    // Scroll last: the keyboard and banners above change the list's height.
    if (stick || added) container.scrollTop = container.scrollHeight;
  }

  function renderTyping(action) {
    clearTimeout(state.typingTimer);
    const sub = $("chat-sub");
    if (action) {
      const label = action === "typing" ? "正在输入… (typing…)" : `${action.replace(/_/g, " ")}…`;
      sub.textContent = label;
      sub.classList.add("typing-now");
      $("typing").hidden = false;
      $("typing-label").textContent = label;
      state.typingTimer = setTimeout(() => {
        $("typing").hidden = true;
        if (state.chat) state.chat.chat_action = null;
        renderHeader();
      }, 5000);
    } else {
      $("typing").hidden = true;
      sub.classList.remove("typing-now");
    }
  }

  function renderAnswer(data, firstLoad) {
    const answer = data.callback_answer;
    const key = String(data.chat_id);
    const lastSeq = state.answerSeq.get(key) || 0;
    if (!answer || answer.seq <= lastSeq) return;
    state.answerSeq.set(key, answer.seq);
    if (firstLoad || !answer.text) return;
    if (answer.show_alert) showAlert(answer.text);
    else toast(answer.text);
  }

  function formatTime(unix) {
    const date = new Date(unix * 1000);
    return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function renderMessage(message, byId) {
    const side = message.from_bot ? "bot" : "user";
    const root = el("div", `msg ${side}`);
    root.dataset.messageId = String(message.message_id);
    const bubble = el("div", "bubble");

    if (message.reply_to_message_id) {
      const replied = byId.get(message.reply_to_message_id);
      if (replied && !replied.deleted) {
        bubble.appendChild(el("div", "reply-quote", replied.text || `[${replied.kind}]`));
      }
    }
    if (message.kind === "photo" && message.file_url) {
      const img = el("img", "msg-photo");
      img.src = message.file_url;
      img.alt = "photo";
      if (message.width && message.height) {
        // Known size up front keeps the layout (and the scroll position) stable while loading.
        img.width = message.width;
        img.height = message.height;
        img.style.aspectRatio = `${message.width} / ${message.height}`;
      }
      bubble.appendChild(img);
    } else if (message.kind === "document") {
      const link = el("a", "msg-doc");
      link.href = message.file_url || "#";
      link.download = message.file_name || "file";
      const icon = el("span", "msg-doc-icon");
      icon.appendChild(documentIcon());
      link.appendChild(icon);
      const info = el("span", "");
      info.appendChild(el("div", "msg-doc-name", message.file_name || "document"));
      info.appendChild(el("div", "msg-doc-sub", message.mime_type || ""));
      link.appendChild(info);
      bubble.appendChild(link);
    } else if (message.kind === "location" && message.location) {
      const [lat, lng] = message.location;
      bubble.appendChild(el("div", "msg-special", `📍 ${lat.toFixed(5)}, ${lng.toFixed(5)}`));
    } else if (message.kind === "contact") {
      bubble.appendChild(el("div", "msg-special", `👤 ${message.phone_number || ""}`));
    }

    const text = el("div", "msg-text");
    text.appendChild(renderEntities(message.text || "", message.entities || [], message.from_bot));
    bubble.appendChild(text);

    const meta = el("div", "msg-meta");
    if (message.edited) meta.appendChild(el("span", "edited", "已编辑 edited"));
    meta.appendChild(el("span", "", formatTime(message.date)));
    bubble.appendChild(meta);
    root.appendChild(bubble);

    if (message.inline_keyboard && message.inline_keyboard.length) {
      root.appendChild(renderInlineKeyboard(message));
    }
    return root;
  }

  function documentIcon() {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "20");
    svg.setAttribute("height", "20");
    const path = document.createElementNS(ns, "path");
    path.setAttribute("fill", "currentColor");
    path.setAttribute("d", "M6 2h8l6 6v12a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2zm7 1.5V9h5.5z");
    svg.appendChild(path);
    return svg;
  }

  // Builds DOM from Telegram entities; offsets are UTF-16 units, exactly JS string indices.
  function renderEntities(text, entities, fromBot) {
    const fragment = document.createDocumentFragment();
    const sorted = entities
      .filter((e) => e.length > 0 && e.offset >= 0 && e.offset < text.length)
      .slice()
      .sort((a, b) => a.offset - b.offset || b.length - a.length);

    function build(parent, start, end, list) {
      let pos = start;
      let i = 0;
      while (i < list.length) {
        const entity = list[i];
        if (entity.offset < pos) {
          i += 1; // overlapping entity (not produced by Telegram's parsers): skip it
          continue;
        }
        const entityEnd = Math.min(entity.offset + entity.length, end);
        if (entity.offset > pos) parent.appendChild(document.createTextNode(text.slice(pos, entity.offset)));
        const inner = [];
        let j = i + 1;
        while (j < list.length && list[j].offset < entityEnd) {
          inner.push(list[j]);
          j += 1;
        }
        const node = entityNode(entity, text.slice(entity.offset, entityEnd), fromBot);
        const target = node.tagName === "PRE" ? node.firstChild : node;
        build(target, entity.offset, entityEnd, inner);
        parent.appendChild(node);
        pos = entityEnd;
        i = j;
      }
      if (pos < end) parent.appendChild(document.createTextNode(text.slice(pos, end)));
    }
    build(fragment, 0, text.length, sorted);
    return fragment;
  }

  function safeHref(url) {
    return /^(https?:|tg:|mailto:)/i.test(url || "") ? url : null;
  }

  function entityNode(entity, content, fromBot) {
    switch (entity.type) {
      case "bold":
        return el("b");
      case "italic":
        return el("i");
      case "underline":
        return el("u");
      case "strikethrough":
        return el("s");
      case "code":
        return el("code");
      case "pre": {
        const pre = el("pre");
        const code = el("code");
        if (entity.language) code.dataset.language = entity.language;
        pre.appendChild(code);
        return pre;
      }
      case "blockquote":
        return el("blockquote");
      case "expandable_blockquote": {
        const quote = el("blockquote", "expandable");
        quote.title = "点击展开 (click to expand)";
        quote.addEventListener("click", () => quote.classList.toggle("open"));
        return quote;
      }
      case "spoiler": {
        const span = el("span", "spoiler");
        span.title = "剧透 (spoiler) — click";
        span.addEventListener("click", () => span.classList.add("revealed"));
        return span;
      }
      case "text_link":
      case "url": {
        const href = safeHref(entity.type === "url" ? content : entity.url);
        if (!href) return el("span");
        const link = el("a");
        link.href = href;
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        link.title = href;
        link.addEventListener("click", (event) => {
          if (handleDeepLink(href)) event.preventDefault();
        });
        return link;
      }
      case "bot_command": {
        const span = el("span", fromBot ? "cmd" : "");
        if (fromBot) span.addEventListener("click", () => sendText(content));
        return span;
      }
      default:
        return el("span", `entity-${entity.type}`);
    }
  }

  function renderInlineKeyboard(message) {
    const keyboard = el("div", "inline-kb");
    for (const row of message.inline_keyboard) {
      const rowNode = el("div", "inline-row");
      for (const button of row) {
        const node = el("button", "inline-btn", button.text);
        node.type = "button";
        if (button.kind === "callback_data") {
          node.dataset.callbackData = button.callback_data;
          node.addEventListener("click", () => pressButton(message.message_id, button.callback_data));
        } else if (button.kind === "url") {
          node.classList.add("url");
          node.title = button.url;
          node.addEventListener("click", () => {
            if (!handleDeepLink(button.url)) {
              const href = safeHref(button.url);
              if (href) window.open(href, "_blank", "noopener");
            }
          });
        } else if (button.kind === "web_app" && button.url) {
          node.classList.add("web-app");
          node.title = button.url;
          node.addEventListener("click", () => openWebApp(button.text, button.url));
        } else {
          node.disabled = true;
          node.title = `${button.kind} (not emulated)`;
        }
        rowNode.appendChild(node);
      }
      keyboard.appendChild(rowNode);
    }
    return keyboard;
  }

  // t.me/<our bot>?start=X links: offer to send "/start X" as the current person.
  function handleDeepLink(url) {
    if (!state.bot || !state.selected) return false;
    let parsed;
    try {
      parsed = new URL(url);
    } catch (_) {
      return false;
    }
    const host = parsed.hostname.toLowerCase();
    const isTme = host === "t.me" || host === "telegram.me";
    const isTg = parsed.protocol === "tg:" && host === "resolve";
    const botName = isTme ? parsed.pathname.replace(/^\//, "").split("/")[0] : parsed.searchParams.get("domain");
    if (!(isTme || isTg) || !botName || botName.toLowerCase() !== state.bot.username.toLowerCase()) {
      return false;
    }
    const payload = parsed.searchParams.get("start");
    const command = payload ? `/start ${payload}` : "/start";
    const user = selectedUser();
    if (window.confirm(`以 ${fullName(user)} 身份发送 “${command}”?\n(Send “${command}” as ${fullName(user)}?)`)) {
      sendText(command);
    }
    return true;
  }

  function renderReplyKeyboard(keyboard) {
    const container = $("reply-keyboard");
    container.replaceChildren();
    if (!keyboard) {
      container.hidden = true;
      return;
    }
    container.hidden = false;
    for (const row of keyboard.rows) {
      const rowNode = el("div", "reply-row");
      for (const button of row) {
        const special = button.request_contact || button.request_location;
        const node = el("button", "reply-btn" + (special ? " special" : ""), button.text);
        node.type = "button";
        if (button.request_contact) node.title = "分享手机号 (shares your phone number)";
        if (button.request_location) node.title = "分享位置 (shares your location)";
        node.dataset.text = button.text;
        node.addEventListener("click", () => pressReplyButton(button));
        rowNode.appendChild(node);
      }
      container.appendChild(rowNode);
    }
  }

  // ------------------------------------------------------------------ actions
  function madeUpPhone(id) {
    const digits = String(id).replace(/\D/g, "").padStart(8, "0").slice(-8);
    return `+86 138 ${digits.slice(0, 4)} ${digits.slice(4)}`;
  }

  async function sendText(text) {
    const user = selectedUser();
    if (!user || !text.trim()) return;
    await guarded(() => postJSON(`/_emu/api/users/${user.id}/text`, { text }));
  }

  // A Mini App opens as Telegram opens it: its URL with the person's signed initData.
  async function openWebApp(title, url) {
    const user = selectedUser();
    if (!user) return;
    await guarded(async () => {
      const signed = await postJSON(`/_emu/api/users/${user.id}/webapp`, { url });
      $("webapp-title").textContent = title;
      $("webapp-frame").src = signed.url;
      $("webapp").hidden = false;
    });
  }

  function closeWebApp() {
    $("webapp").hidden = true;
    $("webapp-frame").src = "about:blank";
  }

  async function showMenuButton() {
    const user = selectedUser();
    const node = $("menu-app-btn");
    node.hidden = true;
    if (!user) return;
    try {
      const button = await request("GET", `/_emu/api/users/${user.id}/menu_button`);
      if (button && button.type === "web_app" && button.web_app && user.id === state.selected) {
        node.textContent = button.text;
        node.dataset.url = button.web_app.url;
        node.hidden = false;
      }
    } catch (_) {
      // no menu button: the chat works without it
    }
  }

  async function pressButton(messageId, data) {
    const user = selectedUser();
    if (!user) return;
    await guarded(() =>
      postJSON(`/_emu/api/users/${user.id}/press`, { message_id: messageId, data, match: "data" }),
    );
  }

  async function pressReplyButton(button) {
    const user = selectedUser();
    if (!user) return;
    if (button.request_contact) {
      const phone = madeUpPhone(user.id);
      if (window.confirm(`与机器人分享你的手机号 ${phone}?\n(Share your phone number ${phone} with the bot?)`)) {
        await guarded(() => postJSON(`/_emu/api/users/${user.id}/contact`, { phone_number: phone.replace(/\s/g, "") }));
      }
      return;
    }
    if (button.request_location) {
      if (window.confirm("与机器人分享你的位置? (Share your location with the bot?)")) {
        await sendLocation();
      }
      return;
    }
    await sendText(button.text);
  }

  async function sendLocation() {
    const user = selectedUser();
    if (!user) return;
    await guarded(() =>
      postJSON(`/_emu/api/users/${user.id}/location`, { latitude: 39.9087, longitude: 116.3975 }),
    );
  }

  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("composer-input");
    const text = input.value;
    if (!text.trim()) return;
    input.value = "";
    closeMenus();
    sendText(text);
  });

  $("start-btn").addEventListener("click", () => sendText("/start"));
  $("menu-app-btn").addEventListener("click", (event) =>
    openWebApp(event.currentTarget.textContent, event.currentTarget.dataset.url));
  $("webapp-close").addEventListener("click", closeWebApp);

  $("block-toggle").addEventListener("click", () => {
    const user = selectedUser();
    if (!user) return;
    const action = user.blocked ? "unblock" : "block";
    guarded(async () => {
      await postJSON(`/_emu/api/users/${user.id}/${action}`);
      await refreshUsers();
    });
  });

  // ------------------------------------------------------------------ menus
  function closeMenus() {
    $("commands-menu").hidden = true;
    $("attach-menu").hidden = true;
  }

  async function openCommands() {
    const user = selectedUser();
    if (!user) return;
    const menu = $("commands-menu");
    $("attach-menu").hidden = true;
    menu.replaceChildren(el("div", "menu-empty", "…"));
    menu.hidden = false;
    try {
      const data = await getJSON(`/_emu/api/users/${user.id}/commands`);
      menu.replaceChildren();
      if (!data.commands.length) {
        menu.appendChild(el("div", "menu-empty", "机器人没有设置命令 (no commands set)"));
      }
      for (const command of data.commands) {
        const item = el("button", "command-item");
        item.type = "button";
        item.dataset.command = command.command;
        item.append(el("span", "command-name", `/${command.command}`), el("span", "command-desc", command.description));
        item.addEventListener("click", () => {
          closeMenus();
          $("composer-input").value = "";
          sendText(`/${command.command}`);
        });
        menu.appendChild(item);
      }
    } catch (error) {
      menu.replaceChildren(el("div", "menu-empty", String(error.message || error)));
    }
  }

  $("commands-btn").addEventListener("click", (event) => {
    event.stopPropagation();
    if ($("commands-menu").hidden) openCommands();
    else closeMenus();
  });
  $("composer-input").addEventListener("input", (event) => {
    const value = event.target.value;
    if (value === "/") openCommands();
    else if (!value.startsWith("/")) $("commands-menu").hidden = true;
  });
  $("attach-btn").addEventListener("click", (event) => {
    event.stopPropagation();
    $("commands-menu").hidden = true;
    $("attach-menu").hidden = !$("attach-menu").hidden;
  });
  document.addEventListener("click", (event) => {
    if (!event.target.closest(".commands-menu, .attach-menu")) closeMenus();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      closeMenus();
      $("modal").hidden = true;
    }
  });

  for (const item of document.querySelectorAll("[data-attach]")) {
    item.addEventListener("click", () => {
      closeMenus();
      const kind = item.dataset.attach;
      if (kind === "photo") $("photo-input").click();
      else if (kind === "document") $("document-input").click();
      else if (window.confirm("分享位置? (Share location?)")) sendLocation();
    });
  }
  for (const [inputId, kind] of [["photo-input", "photo"], ["document-input", "document"]]) {
    $(inputId).addEventListener("change", (event) => {
      const input = event.target;
      const file = input.files && input.files[0];
      const user = selectedUser();
      input.value = "";
      if (!file || !user) return;
      const form = new FormData();
      form.append("file", file, file.name);
      const caption = $("composer-input").value.trim();
      if (caption) form.append("caption", caption);
      $("composer-input").value = "";
      guarded(() => postForm(`/_emu/api/users/${user.id}/${kind}`, form));
    });
  }

  pollForever();
})();
