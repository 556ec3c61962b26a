#include "config.h"
typedef int placeholder_sasl_server;
