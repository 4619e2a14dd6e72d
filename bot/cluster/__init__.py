"""Running the bot on more than one machine: the atomic Redis lock store and the
local cluster (nginx in front of several Rasa replicas); see docs/deployment.md."""
