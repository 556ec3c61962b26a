#include "config.h"
typedef int placeholder_session;
