#!/usr/bin/env bash
# AfterInstall commands of BlueGreenEfsDeploy (generated from hookCommands).
set -euo pipefail

systemctl reload nginx
