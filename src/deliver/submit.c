#include "config.h"
typedef int placeholder_submit;
