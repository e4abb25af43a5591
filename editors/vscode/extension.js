// Starts `pol lsp` for .pol files: diagnostics, hover, completion, definitions, references, symbols, formatting.
"use strict";
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

/** Start the language client; the server is the `pol` command the setting names (pol.path). */
function activate() {
  const command = vscode.workspace.getConfiguration("pol").get("path") || "pol";
  const server = { command, args: ["lsp"] };
  client = new LanguageClient("pol", "pol 语言服务", server, {
    documentSelector: [{ scheme: "file", language: "pol" }, { scheme: "untitled", language: "pol" }],
  });
  return client.start().catch((error) => {
    vscode.window.showErrorMessage(
      `无法启动 pol 语言服务（${command} lsp）：${error.message}。请安装 pip install 'pol[lsp]'，或在设置 pol.path 中写明 pol 的路径。`,
    );
  });
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
